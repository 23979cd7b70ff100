package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tenants through Kafka: tenant a's backlog sits ahead of b's and c's records in the same partitions, and while
 * all three wait, the model's budget goes to them in proportion to their weights (1, 1, 2).
 */
class TenantSharesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int A = 2_400;
    private static final int B = 300;
    private static final int C = 300;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void whileAllWaitEachTenantGetsItsWeightedShare() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(20)
                        .rpm(6000).build())) {
            kafka.createTopic("prompts", 2);
            for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics", "llmstream-usage")) {
                kafka.createTopic(topic, 1);
            }
            List<String> values = new ArrayList<>();
            for (int i = 0; i < A; i++) {
                values.add("{\"id\": \"a-" + i + "\", \"tenant\": \"team-a\", \"prompt\": \"Backfill " + i + "\"}");
            }
            for (int i = 0; i < B; i++) {
                values.add("{\"id\": \"b-" + i + "\", \"tenant\": \"team-b\", \"prompt\": \"Ticket " + i + "\"}");
                values.add("{\"id\": \"c-" + i + "\", \"tenant\": \"team-c\", \"prompt\": \"Order " + i + "\"}");
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", values);

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 6000}}",
                    "tenants: {team-a: {weight: 1}, team-b: {weight: 1}, team-c: {weight: 2}}",
                    "kafka: {topics: {usage: llmstream-usage}}");

            List<String> order = new ArrayList<>();
            Map<String, Long> completionTokens = new HashMap<>();
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions"), false)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (order.size() < A + B + C && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(1))) {
                        order.add(record.key());
                        completionTokens.merge("team-" + record.key().charAt(0),
                                JSON.readTree(record.value()).path("usage").path("completion_tokens").asLong(), Long::sum);
                        assertThat(record.value()).as("a completion names its tenant")
                                .contains("\"tenant\":\"team-" + record.key().charAt(0) + "\"");
                    }
                }
            }
            assertThat(order).hasSize(A + B + C);
            // While all three wait (c's 300 take half of the first 600): after the first hundred, which went out
            // while the stage had read little more than a's backlog, and before c runs out.
            Map<Character, Integer> first = new HashMap<>();
            for (String id : order.subList(100, 500)) {
                first.merge(id.charAt(0), 1, Integer::sum);
            }
            assertThat(first.getOrDefault('a', 0) / 400.0).as("a, weight 1 of 4").isCloseTo(0.25, within(0.05));
            assertThat(first.getOrDefault('b', 0) / 400.0).as("b, weight 1 of 4").isCloseTo(0.25, within(0.05));
            assertThat(first.getOrDefault('c', 0) / 400.0).as("c, weight 2 of 4").isCloseTo(0.50, within(0.05));
            Map<String, Long> ledgerTokens = new HashMap<>();
            Map<String, Long> ledgerPrompts = new HashMap<>();
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("llmstream-usage"), false)) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(5))) {
                    JsonNode usage = JSON.readTree(record.value());
                    assertThat(usage.path("model").asText()).isEqualTo("m1");
                    assertThat(usage.path("lane").asText()).isEqualTo("online");
                    ledgerTokens.merge(usage.path("tenant").asText(), usage.path("completion_tokens").asLong(),
                            Long::sum);
                    ledgerPrompts.merge(usage.path("tenant").asText(), usage.path("prompts").asLong(), Long::sum);
                }
            }
            assertThat(ledgerPrompts).as("the ledger's prompts, summed over its windows")
                    .isEqualTo(Map.of("team-a", (long) A, "team-b", (long) B, "team-c", (long) C));
            assertThat(ledgerTokens).as("the ledger's tokens are the completions' tokens").isEqualTo(completionTokens);
        }
    }
}
