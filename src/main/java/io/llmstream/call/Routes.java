package io.llmstream.call;

import io.llmstream.call.http.ExchangeKind;
import io.llmstream.call.http.SecretScrubber;
import io.llmstream.call.http.ServerProgress;
import io.llmstream.call.http.StreamSwitch;
import io.llmstream.config.BreakerSettings;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.TenantSettings;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.Ticket;
import io.llmstream.measure.TokenEstimator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every model's {@link Route} in each budget shard of this call-stage instance, and the choice of a
 * fallback: the next model of the primary's {@code fallbacks} that can take the request, in the same
 * shard (models linked by fallbacks share their shards).
 */
public final class Routes {
    /** Why a request left its model for a fallback; written to the output. */
    enum Reason {
        CIRCUIT_OPEN, QUOTA_EXCEEDED, CONTEXT_LENGTH_EXCEEDED;

        String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final LlmStreamConfig config;
    private final BudgetShards budgets;
    private final boolean fallBackWhenOpen;
    private final Map<String, ChatRequestFactory> factories = new HashMap<>();
    private final Map<String, ChatRequestFactory> embeddingFactories = new HashMap<>();
    private final Map<String, StreamSwitch> neverStreamed = new HashMap<>();
    private final Map<String, SecretScrubber> scrubbers = new HashMap<>();
    private final Map<String, StreamSwitch> streams = new HashMap<>();
    private final Map<String, FirstTokenWait> firstTokenWaits = new HashMap<>();
    private final Map<String, ServerProgress> servers = new HashMap<>();
    private final Map<String, TokenEstimator> estimators = new HashMap<>();
    private final Map<String, Route> byModelAndShard = new ConcurrentHashMap<>();
    private final TenantSpend spend;

    Routes(LlmStreamConfig config, BudgetShards budgets) {
        this(config, budgets, null);
    }

    /** @param wallet this instance's share of the tenants' spend caps; null when no tenant has one */
    Routes(LlmStreamConfig config, BudgetShards budgets, io.llmstream.spend.TenantWallet wallet) {
        this.config = config;
        this.budgets = budgets;
        this.spend = wallet == null ? null : new TenantSpend(config, wallet);
        this.fallBackWhenOpen = config.call().breaker().whenOpen() == BreakerSettings.WhenOpen.FALLBACK;
        for (EndpointSettings endpoint : config.endpoints().values()) {
            factories.put(endpoint.name(), new ChatRequestFactory(endpoint));
            embeddingFactories.put(endpoint.name(), new ChatRequestFactory(endpoint, ExchangeKind.EMBEDDINGS));
            neverStreamed.put(endpoint.name(), new StreamSwitch(endpoint.name(), false));
            scrubbers.put(endpoint.name(), new SecretScrubber(endpoint));
            streams.put(endpoint.name(), new StreamSwitch(endpoint.name(), endpoint.stream()));
        }
        for (ModelSettings model : config.models().values()) {
            firstTokenWaits.put(model.name(), new FirstTokenWait(config.call().firstTokenTimeout()));
            servers.put(model.name(), new ServerProgress());
            estimators.put(model.name(), TokenEstimator.forEncoding(model.encoding()));
        }
    }

    /** A model's route in a shard. */
    public Route of(String model, int shard) {
        return byModelAndShard.computeIfAbsent(model + "#" + shard, key -> {
            ModelSettings settings = config.model(model);
            EndpointSettings endpoint = config.endpointOf(model);
            boolean embedding = settings.isEmbedding();
            return new Route(settings, endpoint, budgets.dispatcher(model, shard),
                    (embedding ? embeddingFactories : factories).get(endpoint.name()),
                    scrubbers.get(endpoint.name()), (embedding ? neverStreamed : streams).get(endpoint.name()),
                    firstTokenWaits.get(model), servers.get(model), estimators.get(model));
        });
    }

    /**
     * The fallback after position {@code position} of the primary's chain (-1 for the primary itself)
     * that suits the reason; -1 if none does.
     *
     * @param neededTokens prompt plus completion tokens, for a context-window fallback
     */
    int next(String primary, int shard, int position, Reason reason, long neededTokens, int currentContextWindow) {
        List<String> chain = config.model(primary).fallbacks();
        for (int i = position + 1; i < chain.size(); i++) {
            Route candidate = of(chain.get(i), shard);
            boolean suits;
            switch (reason) {
                case CIRCUIT_OPEN:
                    suits = !candidate.dispatcher().isCircuitOpen();
                    break;
                case CONTEXT_LENGTH_EXCEEDED:
                    int window = candidate.model().contextWindow();
                    suits = window > 0 && window >= neededTokens && window > currentContextWindow;
                    break;
                default:
                    suits = true;
            }
            if (suits) {
                return i;
            }
        }
        return -1;
    }

    /** The route at a position of the primary's chain (-1 for the primary), in a shard. */
    Route at(String primary, int shard, int position) {
        return of(position < 0 ? primary : config.model(primary).fallbacks().get(position), shard);
    }

    /** Whether requests leave a model with an open circuit for its fallbacks. */
    boolean fallBackWhenOpen() {
        return fallBackWhenOpen;
    }

    /** The tenants' spend caps; null when no tenant has one. */
    TenantSpend spend() {
        return spend;
    }

    /** Charges a ticket to the request's tenant, with its weight and caps on the model; nothing without tenants. */
    void chargeToTenant(Ticket ticket, String tenant, String model) {
        if (config.hasTenants()) {
            TenantSettings.Cap cap = config.tenantCap(tenant, model);
            ticket.forTenant(tenant == null ? TenantSettings.DEFAULT : tenant, config.tenantWeight(tenant), cap.rpm(),
                    cap.tpm());
        }
    }
}
