package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Embeddings as deployed: a real KRaft broker in and out, the mock's {@code /v1/embeddings} with rate limits
 * over real sockets, on a MiniCluster of parallelism 2, chat prompts alongside.
 */
class EmbeddingsIT {
    private static final int INPUTS = 3000;
    private static final int CHATS = 50;
    private static final int DIMS = 12;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(7)
                .rpm(600).tpm(2_000_000).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    private static String text(int i) {
        return switch (i) {
            case 17 -> "[[mock:429x1(retry-after-ms=700)]] text " + i;
            case 1234 -> "[[mock:400x*]] text " + i;
            default -> "Document " + i + " about topic " + (i % 37);
        };
    }

    @Test
    void everyInputComesOutOnceWithTheVectorOfItsOwnText() throws Exception {
        kafka.createTopic("prompts", 4);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            values.add("{\"id\": \"e-" + i + "\", \"model\": \"emb\", \"input\": \"" + text(i) + "\", \"dimensions\": "
                    + DIMS + ", \"metadata\": {\"row\": " + i + "}}");
        }
        values.add("{\"id\": \"wrong-field\", \"model\": \"emb\", \"prompt\": \"not an input\"}");
        values.add("{\"id\": \"not-a-string\", \"model\": \"emb\", \"input\": [1, 2]}");
        for (int i = 0; i < CHATS; i++) {
            values.add("{\"id\": \"c-" + i + "\", \"prompt\": \"Summarize item " + i + "\"}");
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);

        KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 6000, tpm: 1000000}, "
                        + "emb: {endpoint: mock, kind: embedding, name: text-embedding-3-small, rpm: 60}}",
                "call: {retry: {initial-backoff: 20ms}}", "job: {parallelism: 2}");

        int refused = 1;
        int invalid = 2;
        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                INPUTS - refused + CHATS);
        Map<String, JsonNode> deadLetters = KafkaJobRuns.readById(kafka.bootstrapServers(), "prompts-dlq",
                refused + invalid);
        long promptTokens = 0;
        for (int i = 0; i < INPUTS; i++) {
            String id = "e-" + i;
            if (i == 1234) {
                assertThat(deadLetters.get(id).path("error").path("kind").asText()).isEqualTo("bad_request");
                assertThat(deadLetters.get(id).path("error").path("status").asInt()).isEqualTo(400);
                assertThat(deadLetters.get(id).path("input").asText()).isEqualTo(values.get(i));
                continue;
            }
            JsonNode completion = completions.get(id);
            assertThat(completion.path("model").asText()).isEqualTo("emb");
            assertThat(completion.has("content")).isFalse();
            assertThat(completion.path("metadata").path("row").asInt()).isEqualTo(i);
            JsonNode vector = completion.path("embedding");
            float[] expected = MockAnswers.embeddingFor(text(i), DIMS);
            assertThat(vector.size()).as(id).isEqualTo(DIMS);
            for (int d = 0; d < DIMS; d++) {
                assertThat((float) vector.get(d).asDouble()).as("%s[%d]", id, d).isCloseTo(expected[d], within(1e-6f));
            }
            promptTokens += completion.path("usage").path("prompt_tokens").asLong();
        }
        for (int i = 0; i < CHATS; i++) {
            assertThat(completions.get("c-" + i).path("content").asText())
                    .isEqualTo(MockAnswers.contentFor("Summarize item " + i));
        }
        assertThat(deadLetters.get("wrong-field").path("error").path("message").asText())
                .isEqualTo("models.emb is an embedding model: give input (a string), not prompt");
        assertThat(deadLetters.get("not-a-string").path("error").path("kind").asText()).isEqualTo("invalid_input");

        MockStats stats = mock.stats();
        long embeddingRequests = stats.byKeyModel().values().stream()
                .filter(k -> k.model().equals("text-embedding-3-small")).mapToLong(MockStats.KeyModel::requests).sum();
        long admittedTokens = stats.byKeyModel().values().stream()
                .filter(k -> k.model().equals("text-embedding-3-small")).mapToLong(MockStats.KeyModel::tokens).sum();
        // 30 RPM per shard: batches gather while the budget has no room, so they go nearly full. 12 batches of
        // 256 would do; the first part-full batch of each shard, the refused batch and its inputs alone, and the
        // 429 come on top.
        assertThat(embeddingRequests).isBetween(12L, 40L);
        assertThat(stats.status(429)).as("the scripted 429, waited out").isGreaterThanOrEqualTo(1);
        assertThat(promptTokens).as("usage shares add up to what the provider counted, but for the refused input's")
                .isLessThanOrEqualTo(admittedTokens).isGreaterThan(admittedTokens * 9 / 10);
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "requests"))
                .as("every record that reached the call stage, one metric event each").isEqualTo(INPUTS + CHATS);
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "attempts"))
                .as("a batch's attempts counted once, not once per input: at most the requests the provider saw")
                .isLessThanOrEqualTo(stats.requests()).isGreaterThanOrEqualTo(CHATS + 12L);
    }
}
