package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.LlmStreamJob;
import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaConnectors;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The job as deployed: a real KRaft broker in and out, the mock over real sockets, on a MiniCluster. */
class KafkaPipelineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PROMPTS = 5000;
    private static final int INVALID_EVERY = 100;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(10).seed(3)
                .rpm(120_000).tpm(20_000_000).errorRate(0.01).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    @Test
    void everyPromptComesOutExactlyOnceWithItsOwnAnswer() throws Exception {
        kafka.createTopic("prompts", 4);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            values.add(i % INVALID_EVERY == 0
                    ? "{\"id\": \"p-" + i + "\", \"messages\": \"not a list\"}"
                    : "{\"id\": \"p-" + i + "\", \"prompt\": \"Summarize item " + i + "\"}");
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
        LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 100000, tpm: 10000000}}",
                "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                "call: {retry: {initial-backoff: 20ms}}",
                "job: {parallelism: 2, bounded: true, checkpoint-interval: 2s}");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        LlmStreamJob job = new LlmStreamJob(config);
        job.configure(env);
        job.build(env, KafkaConnectors.source(config), new LlmStreamJob.Sinks(KafkaConnectors.completionSink(config),
                KafkaConnectors.deadLetterSink(config), KafkaConnectors.metricsSink(config)));
        env.execute("llmstream-it");

        Map<String, JsonNode> completions = readById("completions", PROMPTS - PROMPTS / INVALID_EVERY);
        Map<String, JsonNode> deadLetters = readById("prompts-dlq", PROMPTS / INVALID_EVERY);
        for (int i = 0; i < PROMPTS; i++) {
            String id = "p-" + i;
            if (i % INVALID_EVERY == 0) {
                assertThat(deadLetters.get(id).path("error").path("kind").asText()).as(id).isEqualTo("invalid_input");
                assertThat(deadLetters.get(id).path("input").asText()).isEqualTo(values.get(i));
            } else {
                assertThat(completions.get(id).path("content").asText()).as(id)
                        .isEqualTo(MockAnswers.contentFor("Summarize item " + i));
            }
        }
        long windowed = 0;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("llmstream-metrics"), false)) {
            for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(5))) {
                windowed += JSON.readTree(record.value()).path("requests").asLong();
            }
        }
        assertThat(windowed).isEqualTo(PROMPTS - PROMPTS / INVALID_EVERY);
        assertThat(mock.stats().status(429)).isZero();
    }

    /** Reads a topic until it holds {@code expected} records, checking that no id appears twice. */
    private static Map<String, JsonNode> readById(String topic, int expected) throws Exception {
        Map<String, JsonNode> byId = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of(topic), false)) {
            while (byId.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(500))) {
                    JsonNode value = JSON.readTree(record.value());
                    assertThat(record.key()).isEqualTo(value.path("id").asText());
                    assertThat(byId.put(record.key(), value)).as("duplicate " + record.key()).isNull();
                }
            }
            assertThat(reader.poll(Duration.ofMillis(500))).as("records beyond the expected " + expected).isEmpty();
        }
        assertThat(byId).hasSize(expected);
        return byId;
    }
}
