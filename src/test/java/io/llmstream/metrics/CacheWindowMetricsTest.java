package io.llmstream.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.RecordJson;
import io.llmstream.record.WindowMetrics;
import io.llmstream.route.RouteMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Cache hits in the metrics: counted as answered and as saved, never as spent, charged or timed. */
class CacheWindowMetricsTest {
    private static final LlmStreamConfig CONFIG = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
            "models: {m1: {endpoint: mock, rpm: 600, price: {input: 2.5, output: 10}, cache: {ttl: 10m}}, "
                    + "m2: {endpoint: mock, cache: {ttl: 10m}}}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A call of its own: two attempts, 1,000 prompt and 200 completion tokens, 1,100 charged. */
    private static MetricEvent call() {
        return new MetricEvent("m1", "mock#1", null, 2, 400, 30, 1000, 200, 1100, 0, false, 200, -1);
    }

    /** A repeat answered with that call's answer. */
    private static MetricEvent hit() {
        return new MetricEvent("m1", null, null, 2, 1, 0, 1000, 200, 0, 0, false, -1, -1, true);
    }

    private static WindowAccumulator window(MetricEvent... events) {
        WindowAccumulator window = new WindowAggregate().createAccumulator();
        for (MetricEvent event : events) {
            window.add(event);
        }
        return window;
    }

    @Test
    void aWindowCountsHitsAsAnsweredAndSavedNotAsSpent() {
        WindowAccumulator merged = new WindowAggregate().merge(window(call(), hit()), window(hit(), hit()));

        WindowMetrics metrics = WindowMetricsFunction.toMetrics("m1", 0, 10_000, merged, CONFIG.model("m1"),
                CONFIG.endpointOf("m1"));

        assertThat(metrics.requests()).isEqualTo(4);
        assertThat(metrics.succeeded()).isEqualTo(4);
        assertThat(metrics.cacheHits()).isEqualTo(3);
        assertThat(metrics.callsSaved()).as("each hit saved the two attempts of the call").isEqualTo(6);
        assertThat(metrics.attempts()).isEqualTo(2);
        assertThat(metrics.promptTokens()).isEqualTo(1000);
        assertThat(metrics.completionTokens()).isEqualTo(200);
        assertThat(metrics.chargedTokens()).isEqualTo(1100);
        assertThat(metrics.latencyP50Ms()).as("only the call is timed").isEqualTo(400);
        assertThat(metrics.costUsd()).isCloseTo(0.0025 + 0.002, within(1e-9));
        assertThat(metrics.costSavedUsd()).isCloseTo(3 * (0.0025 + 0.002), within(1e-9));
        // The call's two attempts reached the provider in 10 s, the hits none: 12 per minute of 600.
        assertThat(metrics.requestUtilization()).isCloseTo(0.02, within(1e-9));
        assertThat(metrics.keys()).singleElement().satisfies(key -> assertThat(key.requests()).isEqualTo(2));
    }

    @Test
    void theMetricsRecordSaysHitsCallsAndCostSaved() throws Exception {
        WindowAccumulator window = window(call(), hit(), hit());

        JsonNode priced = JSON.readTree(RecordJson.windowMetrics(WindowMetricsFunction.toMetrics("m1", 0, 10_000,
                window, CONFIG.model("m1"), CONFIG.endpointOf("m1"))));
        JsonNode unpriced = JSON.readTree(RecordJson.windowMetrics(WindowMetricsFunction.toMetrics("m2", 0, 10_000,
                window, CONFIG.model("m2"), CONFIG.endpointOf("m2"))));

        assertThat(priced.path("requests").asLong()).isEqualTo(3);
        assertThat(priced.path("cache_hits").asLong()).isEqualTo(2);
        assertThat(priced.path("calls_saved").asLong()).isEqualTo(4);
        assertThat(priced.path("cost_saved_usd").asDouble()).isEqualTo(0.009);
        assertThat(unpriced.path("cache_hits").asLong()).isEqualTo(2);
        assertThat(unpriced.get("cost_saved_usd").isNull()).as("no price configured").isTrue();
    }

    @Test
    void theRouteStageCountsHitsAndWhatTheySavedPerModel() {
        Map<String, Metric> registered = new HashMap<>();
        MetricGroup operator = new RecordingGroup("", registered);
        RouteMetrics metrics = new RouteMetrics(operator);

        metrics.record(call());
        metrics.record(hit());
        metrics.record(hit());

        assertThat(count(registered, LlmMetrics.REQUESTS)).isEqualTo(3);
        assertThat(count(registered, LlmMetrics.SUCCESSES)).isEqualTo(3);
        assertThat(count(registered, LlmMetrics.CACHE_HITS)).isEqualTo(2);
        assertThat(count(registered, LlmMetrics.CALLS_SAVED)).isEqualTo(4);
        assertThat(count(registered, LlmMetrics.PROMPT_TOKENS_SAVED)).isEqualTo(2000);
        assertThat(count(registered, LlmMetrics.COMPLETION_TOKENS_SAVED)).isEqualTo(400);
        assertThat(count(registered, LlmMetrics.PROMPT_TOKENS)).as("spent by the call only").isEqualTo(1000);
        assertThat(count(registered, LlmMetrics.RETRIES)).isEqualTo(1);
        assertThat(registered).containsKey("model.m1.key.mock#1." + LlmMetrics.REQUESTS);
    }

    private static long count(Map<String, Metric> registered, String name) {
        return ((Counter) registered.get("model.m1." + name)).getCount();
    }

    /** A metric group that keeps what is registered in it by its dotted path. */
    private static final class RecordingGroup extends UnregisteredMetricsGroup {
        private final String prefix;
        private final Map<String, Metric> registered;

        RecordingGroup(String prefix, Map<String, Metric> registered) {
            this.prefix = prefix;
            this.registered = registered;
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new RecordingGroup(prefix + key + "." + value + ".", registered);
        }

        @Override
        public Counter counter(String name) {
            return counter(name, new SimpleCounter());
        }

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            registered.put(prefix + name, counter);
            return counter;
        }
    }
}
