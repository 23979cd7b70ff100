package io.llmstream.call;

import io.llmstream.config.BreakerSettings;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.Dispatchers;
import io.llmstream.measure.TokenEstimator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every model's {@link Route}, and the choice of a fallback: the next model of the primary's
 * {@code fallbacks} that can take the request.
 */
final class Routes {
    /** Why a request left its model for a fallback; written to the output. */
    enum Reason {
        CIRCUIT_OPEN, QUOTA_EXCEEDED, CONTEXT_LENGTH_EXCEEDED;

        String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final LlmStreamConfig config;
    private final Map<String, Route> byModel = new HashMap<>();
    private final boolean fallBackWhenOpen;

    Routes(LlmStreamConfig config, Dispatchers.Lease dispatchers) {
        this.config = config;
        this.fallBackWhenOpen = config.call().breaker().whenOpen() == BreakerSettings.WhenOpen.FALLBACK;
        Map<String, ChatRequestFactory> factories = new HashMap<>();
        Map<String, SecretScrubber> scrubbers = new HashMap<>();
        Map<String, StreamSwitch> streams = new HashMap<>();
        for (EndpointSettings endpoint : config.endpoints().values()) {
            factories.put(endpoint.name(), new ChatRequestFactory(endpoint));
            scrubbers.put(endpoint.name(), new SecretScrubber(endpoint));
            streams.put(endpoint.name(), new StreamSwitch(endpoint.name(), endpoint.stream()));
        }
        for (ModelSettings model : config.models().values()) {
            EndpointSettings endpoint = config.endpointOf(model.name());
            byModel.put(model.name(), new Route(model, endpoint, dispatchers.forModel(model.name()),
                    factories.get(endpoint.name()), scrubbers.get(endpoint.name()), streams.get(endpoint.name()),
                    new FirstTokenWait(config.call().firstTokenTimeout()), TokenEstimator.forEncoding(model.encoding())));
        }
    }

    Route of(String model) {
        return byModel.get(model);
    }

    /**
     * The fallback after position {@code position} of the primary's chain (-1 for the primary itself)
     * that suits the reason; null if none does.
     *
     * @param neededTokens prompt plus completion tokens, for a context-window fallback
     * @return the chosen route's position, or -1 if none
     */
    int next(String primary, int position, Reason reason, long neededTokens, int currentContextWindow) {
        List<String> chain = config.model(primary).fallbacks();
        for (int i = position + 1; i < chain.size(); i++) {
            Route candidate = byModel.get(chain.get(i));
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

    /** The route at a position of the primary's chain (-1 for the primary). */
    Route at(String primary, int position) {
        return position < 0 ? byModel.get(primary) : byModel.get(config.model(primary).fallbacks().get(position));
    }

    /** Whether requests leave a model with an open circuit for its fallbacks. */
    boolean fallBackWhenOpen() {
        return fallBackWhenOpen;
    }
}
