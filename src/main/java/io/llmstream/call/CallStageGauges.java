package io.llmstream.call;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.TenantSettings;
import io.llmstream.spend.Nanos;
import io.llmstream.spend.TenantWallet;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.KeyStatus;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.measure.RecentUtilization;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The call stage's gauges of live state, per configured model and API key (names in
 * {@link LlmMetrics}), over the budget shards this instance holds: prompts in the stage, limit
 * utilization of the shares held here, the circuit (the worst of the shards, and how many are open), the
 * budget queue, the concurrency limit, key
 * health (the worst of the shards). Sum or take the maximum across subtasks as each gauge says.
 */
public final class CallStageGauges {
    /** {@link ModelDispatcher#circuitState()} of an open circuit. */
    private static final int OPEN = 2;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /** Registers the gauges of every configured model in the operator's group. */
    public CallStageGauges(MetricGroup operatorGroup, LlmStreamConfig config, BudgetShards budgets) {
        this(operatorGroup, config, budgets, null);
    }

    /**
     * Registers the gauges of every configured model and listed tenant in the operator's group.
     *
     * @param wallet this instance's share of the spend caps; null when no tenant has one
     */
    public CallStageGauges(MetricGroup operatorGroup, LlmStreamConfig config, BudgetShards budgets,
            TenantWallet wallet) {
        registerModels(operatorGroup, config, budgets);
        for (TenantSettings tenant : config.tenants().values()) {
            List<ModelDispatcher> dispatchers = config.models().keySet().stream()
                    .flatMap(model -> budgets.dispatchersOf(model).stream()).toList();
            MetricGroup group = operatorGroup.addGroup(LlmMetrics.TENANT_GROUP, tenant.name());
            group.gauge(LlmMetrics.WAITING_FOR_BUDGET, (Gauge<Integer>) () -> dispatchers.stream()
                    .mapToInt(dispatcher -> dispatcher.waitingOf(tenant.name())).sum());
            if (wallet != null && tenant.hasSpendCap()) {
                group.gauge(LlmMetrics.SPENT_TODAY_USD,
                        (Gauge<Double>) () -> Nanos.dollars(wallet.spentToday(tenant.name())));
            }
        }
    }

    private void registerModels(MetricGroup operatorGroup, LlmStreamConfig config, BudgetShards budgets) {
        for (ModelSettings model : config.models().values()) {
            AtomicInteger count = inFlight.computeIfAbsent(model.name(), name -> new AtomicInteger());
            Collection<ModelDispatcher> shards = budgets.dispatchersOf(model.name());
            MetricGroup group = operatorGroup.addGroup(LlmMetrics.MODEL_GROUP, model.name());
            group.gauge(LlmMetrics.IN_FLIGHT, (Gauge<Integer>) count::get);
            double share = totalWeight(config.endpointOf(model.name())) * budgets.shareOf(model.name());
            group.gauge(LlmMetrics.REQUEST_UTILIZATION, new RecentUtilization(
                    () -> sum(shards, ModelDispatcher::admittedRequests), model.hasRpmLimit() ? model.rpm() * share : 0));
            group.gauge(LlmMetrics.TOKEN_UTILIZATION, new RecentUtilization(
                    () -> sum(shards, ModelDispatcher::admittedTokens), model.hasTpmLimit() ? model.tpm() * share : 0));
            group.gauge(LlmMetrics.CIRCUIT_STATE, (Gauge<Integer>) () -> shards.stream()
                    .mapToInt(ModelDispatcher::circuitState).max().orElse(0));
            group.gauge(LlmMetrics.OPEN_CIRCUITS, (Gauge<Integer>) () -> (int) shards.stream()
                    .filter(shard -> shard.circuitState() == OPEN).count());
            group.gauge(LlmMetrics.WAITING_FOR_BUDGET, (Gauge<Integer>) () -> shards.stream()
                    .mapToInt(ModelDispatcher::waiting).sum());
            group.gauge(LlmMetrics.CONCURRENCY_LIMIT, (Gauge<Integer>) () -> shards.stream()
                    .mapToInt(ModelDispatcher::concurrencyLimit).sum());
            for (ApiKey key : keysOf(config.endpointOf(model.name()))) {
                group.addGroup(LlmMetrics.KEY_GROUP, key.id()).gauge(LlmMetrics.KEY_STATE,
                        (Gauge<Integer>) () -> shards.stream()
                                .mapToInt(dispatcher -> keyState(dispatcher.keyStatus().get(key.id()))).max().orElse(0));
            }
        }
    }

    /** A prompt of {@code model} entered the call stage. */
    public void started(String model) {
        counter(model).incrementAndGet();
    }

    /** A prompt of {@code model} left the call stage. */
    public void finished(String model) {
        counter(model).decrementAndGet();
    }

    private AtomicInteger counter(String model) {
        return inFlight.computeIfAbsent(model, name -> new AtomicInteger());
    }

    private static long sum(Collection<ModelDispatcher> shards, java.util.function.ToLongFunction<ModelDispatcher> value) {
        long total = 0;
        for (ModelDispatcher shard : shards) {
            total += value.applyAsLong(shard);
        }
        return total;
    }

    private static int keyState(KeyStatus status) {
        if (status == null || status.removed()) {
            return status == null ? 0 : 2;
        }
        return status.degraded() ? 1 : 0;
    }

    /** The endpoint's keys, or the one placeholder of an endpoint without keys. */
    private static List<ApiKey> keysOf(EndpointSettings endpoint) {
        return endpoint.apiKeys().isEmpty() ? List.of(new ApiKey(null, endpoint.name() + "#none", 1.0))
                : endpoint.apiKeys();
    }

    private static double totalWeight(EndpointSettings endpoint) {
        List<ApiKey> keys = endpoint.apiKeys();
        if (keys.isEmpty()) {
            return 1;
        }
        return keys.stream().mapToDouble(ApiKey::weight).sum();
    }
}
