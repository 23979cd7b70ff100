package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Merged prompts end to end: a real broker, the job on a MiniCluster, the mock leaving answers out of
 * merged replies. Every prompt comes out exactly once with its own answer, in far fewer provider requests.
 */
class MergedPromptsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PROMPTS = 600;
    /** Prompts whose answer the mock leaves out of any merged reply ({@code MockMerge}). */
    private static final int OMITTED_EVERY = 50;
    private static final int SYSTEM_EVERY = 100;
    private static final int INVALID_EVERY = 150;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(9).mergeDropRate(0.1).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    private static String text(int i) {
        return (i % OMITTED_EVERY == 7 ? "[[merge:omit]] " : "") + "Summarize item " + i;
    }

    @Test
    void everyPromptComesOutOnceWithItsOwnAnswerInFewerRequests() throws Exception {
        kafka.createTopic("prompts", 4);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            if (i % INVALID_EVERY == 3) {
                values.add("{\"id\": \"p-" + i + "\", \"prompt\": 42}");
            } else if (i % SYSTEM_EVERY == 5) {
                values.add("{\"id\": \"p-" + i + "\", \"max_tokens\": 40, \"messages\": [{\"role\": \"system\", "
                        + "\"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"" + text(i) + "\"}]}");
            } else {
                values.add("{\"id\": \"p-" + i + "\", \"prompt\": \"" + text(i) + "\", \"max_tokens\": 40, "
                        + "\"metadata\": {\"i\": " + i + "}}");
            }
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);

        KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 100000, tpm: 10000000, merge: {max-prompts: 16, max-wait: 200ms}}}",
                "call: {retry: {initial-backoff: 20ms}}", "job: {parallelism: 2}");

        int invalid = 0;
        for (int i = 0; i < PROMPTS; i++) {
            invalid += i % INVALID_EVERY == 3 ? 1 : 0;
        }
        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                PROMPTS - invalid);
        Map<String, JsonNode> deadLetters = KafkaJobRuns.readById(kafka.bootstrapServers(), "prompts-dlq", invalid);
        int merged = 0;
        for (int i = 0; i < PROMPTS; i++) {
            String id = "p-" + i;
            if (i % INVALID_EVERY == 3) {
                assertThat(deadLetters.get(id).path("error").path("kind").asText()).isEqualTo("invalid_input");
                continue;
            }
            JsonNode completion = completions.get(id);
            assertThat(completion.path("content").asText()).as(id).isEqualTo(MockAnswers.contentFor(text(i)));
            if (i % SYSTEM_EVERY == 5 || i % OMITTED_EVERY == 7) {
                assertThat(completion.has("merged")).as(id + " was answered alone").isFalse();
                assertThat(completion.path("usage").has("shared")).isFalse();
            }
            if (completion.has("merged")) {
                merged++;
                assertThat(completion.path("merged").asInt()).isBetween(2, 16);
                assertThat(completion.path("usage").path("shared").asBoolean()).isTrue();
                assertThat(completion.path("metadata").path("i").asInt()).isEqualTo(i);
            }
        }
        MockStats stats = mock.stats();
        int valid = PROMPTS - invalid;
        assertThat(merged).as("prompts answered from a merged reply").isGreaterThan(valid * 3 / 4);
        assertThat(stats.requests()).as("provider requests for " + valid + " prompts").isLessThan(valid / 4);

        // Counted once: the windows' attempts are the provider's requests, their tokens the provider's tokens.
        long requests = 0;
        long attempts = 0;
        long promptTokens = 0;
        long completionTokens = 0;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("llmstream-metrics"), false)) {
            List<ConsumerRecord<String, String>> records;
            do {
                records = reader.poll(Duration.ofSeconds(3));
                for (ConsumerRecord<String, String> record : records) {
                    JsonNode window = JSON.readTree(record.value());
                    requests += window.path("requests").asLong();
                    attempts += window.path("attempts").asLong();
                    promptTokens += window.path("tokens").path("prompt").asLong();
                    completionTokens += window.path("tokens").path("completion").asLong();
                }
            } while (!records.isEmpty());
        }
        assertThat(requests).isEqualTo(valid);
        assertThat(attempts).isEqualTo(stats.requests());
        assertThat(promptTokens).isEqualTo(stats.promptTokens());
        assertThat(completionTokens).isEqualTo(stats.completionTokens());
    }
}
