package io.llmstream.it;

import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.measure.LlmMetrics;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job's Flink metrics, read from an in-memory reporter after a run against the mock, checked by
 * their full identifiers against what the mock counted.
 */
class FlinkMetricsIT {
    private static final int PROMPTS = 200;
    private static final int THROTTLED_EVERY = 10;
    private static final int REFUSED_EVERY = 25;
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void countsWhatTheProviderSawPerModelKeyAndErrorKind() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(4).build())) {
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS, i -> {
                String directive = i % REFUSED_EVERY == 0 ? "[[mock:400]] "
                        : i % THROTTLED_EVERY == 0 ? "[[mock:429(retry-after-ms=20)]] " : "";
                return "{\"id\": \"m-" + i + "\", \"prompt\": \"" + directive + "Count me " + i + "\", "
                        + "\"max_tokens\": 20}";
            });

            JobID job = KafkaJobRuns.runBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60000, tpm: 10000000}}",
                    "endpoints: {mock: {api-keys: [{key: k1, id: primary}]}}",
                    "call: {retry: {initial-backoff: 10ms}}").getJobID();

            int refused = 0;
            int throttled = 0;
            for (int i = 0; i < PROMPTS; i++) {
                refused += i % REFUSED_EVERY == 0 ? 1 : 0;
                throttled += i % REFUSED_EVERY != 0 && i % THROTTLED_EVERY == 0 ? 1 : 0;
            }
            MockStats stats = mock.stats();
            assertThat(stats.status(400)).isEqualTo(refused);
            assertThat(stats.status(429)).as("scripted 429s").isEqualTo(throttled);

            Map<String, Metric> route = metrics(job, ".route results.0.model.m1.");
            assertThat(count(route, "requests")).isEqualTo(PROMPTS);
            assertThat(count(route, "successes")).isEqualTo(PROMPTS - refused);
            assertThat(count(route, "failures")).isEqualTo(refused);
            assertThat(count(route, "errorKind.bad_request.failures")).isEqualTo(refused);
            assertThat(count(route, "rateLimited")).isEqualTo(stats.status(429));
            assertThat(count(route, "retries")).as("one retry per 429").isEqualTo(throttled);
            assertThat(count(route, "fallbacks")).isZero();
            assertThat(count(route, "promptTokens")).isEqualTo(stats.promptTokens());
            assertThat(count(route, "completionTokens")).isEqualTo(stats.completionTokens());
            assertThat(count(route, "key.primary.requests")).isEqualTo(PROMPTS);
            assertThat(count(route, "key.primary.rateLimited")).isEqualTo(stats.status(429));
            assertThat(((Meter) route.get(LlmMetrics.REQUESTS_PER_SECOND)).getCount()).isEqualTo(PROMPTS);
            Histogram latency = (Histogram) route.get(LlmMetrics.LATENCY);
            assertThat(latency.getCount()).isEqualTo(PROMPTS);
            assertThat(latency.getStatistics().getQuantile(0.99)).isPositive();
            assertThat(((Histogram) route.get(LlmMetrics.PROVIDER_LATENCY)).getCount()).isEqualTo(PROMPTS);
            assertThat(((Histogram) route.get(LlmMetrics.BUDGET_WAIT)).getCount()).isEqualTo(PROMPTS);
            assertThat(route.keySet()).as("every name the route stage registers")
                    .containsAll(LlmMetrics.ROUTE_MODEL_METRICS);

            Map<String, Metric> call = metrics(job, ".call LLM API.0.model.m1.");
            assertThat(call.keySet()).containsAll(LlmMetrics.CALL_MODEL_METRICS).contains("key.primary.keyState");
            assertThat(gauge(call, "inFlight")).isEqualTo(0);
            assertThat(gauge(call, "circuitState")).isEqualTo(0);
            assertThat(gauge(call, "openCircuits")).isEqualTo(0);
            assertThat(gauge(call, "waitingForBudget")).isEqualTo(0);
            assertThat((Integer) gauge(call, "concurrencyLimit")).as("the adaptive limit, between 1 and call.capacity")
                    .isBetween(1, 100);
            assertThat(gauge(call, "key.primary.keyState")).isEqualTo(0);
        }
    }

    /**
     * The job's metrics whose identifier contains {@code infix}, by the rest of the identifier after it. (Read by
     * group: a source task and its operator have the same name, so their I/O metrics share identifiers.)
     */
    private static Map<String, Metric> metrics(JobID job, String infix) {
        Map<String, Metric> found = new TreeMap<>();
        REPORTER.getMetricsByGroup().forEach((group, byName) -> {
            if (!job.toString().equals(group.getAllVariables().get("<job_id>"))) {
                return;
            }
            byName.forEach((name, metric) -> {
                String identifier = group.getMetricIdentifier(name);
                int at = identifier.indexOf(infix);
                if (at >= 0) {
                    found.put(identifier.substring(at + infix.length()), metric);
                }
            });
        });
        assertThat(found).as("metrics under " + infix).isNotEmpty();
        return found;
    }

    private static long count(Map<String, Metric> metrics, String name) {
        assertThat(metrics).containsKey(name);
        return ((Counter) metrics.get(name)).getCount();
    }

    private static Object gauge(Map<String, Metric> metrics, String name) {
        assertThat(metrics).containsKey(name);
        return ((Gauge<?>) metrics.get(name)).getValue();
    }
}
