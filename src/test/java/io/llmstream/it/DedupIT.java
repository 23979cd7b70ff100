package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Identical requests cost one call, end to end: repeated prompts under other ids, shuffled, through a real
 * broker and two parallel call-stage instances; the mock's counter is the provider's bill.
 */
class DedupIT {
    private static final int DISTINCT = 40;
    private static final int COPIES = 10;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(7).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    @Test
    void repeatsAreAnsweredFromTheCacheEachUnderItsOwnId() throws Exception {
        kafka.createTopic("prompts", 4);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < DISTINCT * COPIES; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(11));
        List<String> values = new ArrayList<>();
        for (int i : order) {
            values.add("{\"id\": \"p-" + i + "\", \"prompt\": \"" + text(i) + "\", \"temperature\": 0, "
                    + "\"priority\": " + (i % 3) + ", \"metadata\": {\"n\": " + i + "}}");
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
        long before = mock.stats().requests();

        KafkaJobRuns.runBounded(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 6000, cache: {ttl: 10m}}}", "job: {parallelism: 2}");

        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                DISTINCT * COPIES);
        int cached = 0;
        for (int i = 0; i < DISTINCT * COPIES; i++) {
            JsonNode completion = completions.get("p-" + i);
            assertThat(completion.path("content").asText()).as("p-%d", i).isEqualTo(MockAnswers.contentFor(text(i)));
            assertThat(completion.path("metadata").path("n").asInt()).isEqualTo(i);
            if (completion.path("cached").asBoolean(false)) {
                cached++;
                assertThat(completion.path("attempts").asInt()).isZero();
                assertThat(completion.path("usage").path("prompt_tokens").asInt()).isPositive();
            } else {
                assertThat(completion.has("cached")).as("written only on hits").isFalse();
            }
        }
        assertThat(mock.stats().requests() - before).as("one call per distinct request").isEqualTo(DISTINCT);
        assertThat(cached).isEqualTo(DISTINCT * (COPIES - 1));
        assertThat(KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq")).isEmpty();
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "requests"))
                .isEqualTo(DISTINCT * COPIES);
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "cache_hits"))
                .isEqualTo(DISTINCT * (COPIES - 1));
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "attempts")).isEqualTo(DISTINCT);
    }

    private static String text(int i) {
        return "Summarize document " + (i % DISTINCT);
    }
}
