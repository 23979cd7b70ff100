package io.llmstream.call;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.measure.RecentUtilization;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The call stage's gauges of live state, per configured model and API key (names in
 * {@link LlmMetrics}): prompts in the stage, limit utilization, the circuit, the budget queue, key
 * health. The dispatchers are shared by the call stage's instances in a TaskManager, so each instance
 * reports the same dispatcher figures; take the maximum across subtasks.
 */
public final class CallStageGauges {
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /** Registers the gauges of every configured model in the operator's group. */
    public CallStageGauges(MetricGroup operatorGroup, LlmStreamConfig config,
            Function<String, ModelDispatcher> dispatchers) {
        for (ModelSettings model : config.models().values()) {
            AtomicInteger count = inFlight.computeIfAbsent(model.name(), name -> new AtomicInteger());
            ModelDispatcher dispatcher = dispatchers.apply(model.name());
            MetricGroup group = operatorGroup.addGroup(LlmMetrics.MODEL_GROUP, model.name());
            group.gauge(LlmMetrics.IN_FLIGHT, (Gauge<Integer>) count::get);
            double weights = totalWeight(config.endpointOf(model.name()));
            group.gauge(LlmMetrics.REQUEST_UTILIZATION, new RecentUtilization(dispatcher::admittedRequests,
                    model.hasRpmLimit() ? model.rpm() * weights : 0));
            group.gauge(LlmMetrics.TOKEN_UTILIZATION, new RecentUtilization(dispatcher::admittedTokens,
                    model.hasTpmLimit() ? model.tpm() * weights : 0));
            group.gauge(LlmMetrics.CIRCUIT_STATE, (Gauge<Integer>) dispatcher::circuitState);
            group.gauge(LlmMetrics.WAITING_FOR_BUDGET, (Gauge<Integer>) dispatcher::waiting);
            for (String keyId : dispatcher.keyStatus().keySet()) {
                group.addGroup(LlmMetrics.KEY_GROUP, keyId).gauge(LlmMetrics.KEY_STATE,
                        (Gauge<Integer>) () -> keyState(dispatcher.keyStatus().get(keyId)));
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

    private static int keyState(ModelDispatcher.KeyStatus status) {
        if (status == null || status.removed()) {
            return 2;
        }
        return status.degraded() ? 1 : 0;
    }

    private static double totalWeight(EndpointSettings endpoint) {
        List<ApiKey> keys = endpoint.apiKeys();
        if (keys.isEmpty()) {
            return 1;
        }
        return keys.stream().mapToDouble(ApiKey::weight).sum();
    }
}
