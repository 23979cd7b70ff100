package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark's fault scenario at a smaller scale: a provider that fails in every way and goes down
 * for three seconds. The job runs with restart-strategy none, so it finishing at all proves it never
 * failed; every prompt ends as exactly one completion or one dead letter.
 */
class FaultToleranceIT {
    private static final int PROMPTS = 1000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void losesNothingAndNeverRestartsWhileTheProviderFails() throws Exception {
        MockOptions flaky = MockOptions.builder().port(0).latencyMs(20).seed(3)
                .errorRate(0.05).resetRate(0.01).hangRate(0.01).malformedRate(0.01)
                .outageStart(Duration.ofSeconds(5)).outageDuration(Duration.ofSeconds(3))
                .rpm(6000)
                .build();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(flaky)) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"p-" + i + "\", \"prompt\": \"Flaky prompt " + i + "\", \"max_tokens\": 20}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 6000}}",
                    "call: {ordered: false, attempt-timeout: 1s, timeout: 60s,"
                            + " retry: {max-attempts: 6, initial-backoff: 100ms, max-backoff: 1s},"
                            + " breaker: {when-open: wait, open-for: 1s}}");

            Map<String, JsonNode> completions = KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions");
            Map<String, JsonNode> deadLetters = KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq");
            Set<String> both = new HashSet<>(completions.keySet());
            both.retainAll(deadLetters.keySet());
            assertThat(both).as("prompts both completed and dead-lettered").isEmpty();
            assertThat(completions.size() + deadLetters.size()).as("completions + dead letters").isEqualTo(PROMPTS);
            assertThat(completions.size()).as("successes").isGreaterThanOrEqualTo(PROMPTS * 99 / 100);
            assertThat(deadLetters.values()).allSatisfy(deadLetter ->
                    assertThat(deadLetter.path("error").path("message").asText()).contains("gave up"));

            MockStats stats = mock.stats();
            assertThat(stats.outageRefusals()).as("requests that met the outage").isPositive();
            assertThat(stats.resets()).as("connections reset").isPositive();
            assertThat(stats.hangs()).as("requests never answered").isPositive();
            assertThat(stats.malformed()).as("garbled answers").isPositive();
            long attempts = completions.values().stream().mapToLong(c -> c.path("attempts").asLong()).sum()
                    + deadLetters.values().stream().mapToLong(d -> d.path("attempts").asLong()).sum();
            assertThat(attempts).as("attempts the job counted, as the mock saw them").isEqualTo(stats.requests());
        }
    }

    /**
     * Issue 9: on the default call settings (per-id order, 10 min attempt timeout, 60 s first-token timeout)
     * requests that would answer only after a minute are caught at the model's adaptive first-token wait and
     * asked again, so no prompt waits for them and none holds the others back.
     */
    @Test
    void hungRequestsCostSecondsOnTheDefaultSettings() throws Exception {
        MockOptions hanging = MockOptions.builder().port(0).latencyMs(50).seed(9)
                .errorRate(0.03).hangRate(0.02).hangFor(Duration.ofSeconds(60))
                .build();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(hanging)) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"h-" + i + "\", \"prompt\": \"Hanging prompt " + i + "\", \"max_tokens\": 20}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock}}");

            Map<String, JsonNode> completions = KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions");
            Map<String, JsonNode> deadLetters = KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq");
            assertThat(completions.size() + deadLetters.size()).as("completions + dead letters").isEqualTo(PROMPTS);
            assertThat(completions.size()).as("successes").isGreaterThanOrEqualTo(PROMPTS * 99 / 100);
            assertThat(mock.stats().hangs()).as("requests that hung").isGreaterThanOrEqualTo(10);
            long slowest = completions.values().stream().mapToLong(c -> c.path("latency_ms").asLong()).max()
                    .orElseThrow();
            assertThat(slowest).as("no prompt waited for a hung answer (60 s)").isLessThan(20_000);
            assertThat(completions.values()).as("every answer was streamed")
                    .allSatisfy(c -> assertThat(c.path("first_token_ms").asLong(-1)).isNotNegative());
        }
    }
}
