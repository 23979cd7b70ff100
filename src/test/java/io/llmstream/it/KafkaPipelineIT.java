package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The job as deployed: a real KRaft broker in and out, the mock over real sockets, on a MiniCluster. */
class KafkaPipelineIT {
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

        KafkaJobRuns.runBounded(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 100000, tpm: 10000000}}",
                "call: {retry: {initial-backoff: 20ms}}", "job: {parallelism: 2}");

        int invalid = PROMPTS / INVALID_EVERY;
        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                PROMPTS - invalid);
        Map<String, JsonNode> deadLetters = KafkaJobRuns.readById(kafka.bootstrapServers(), "prompts-dlq", invalid);
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
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "requests"))
                .isEqualTo(PROMPTS - invalid);

        // A dead letter's facts also travel as headers, matching its body.
        ConsumerRecord<String, String> deadLetter = KafkaJobRuns.first(kafka.bootstrapServers(), "prompts-dlq");
        JsonNode body = deadLetters.get(deadLetter.key());
        assertThat(header(deadLetter, "llmstream.error.kind")).isEqualTo("invalid_input");
        assertThat(header(deadLetter, "llmstream.error.message")).isEqualTo(body.path("error").path("message").asText());
        assertThat(header(deadLetter, "llmstream.error.topic")).isEqualTo("prompts");
        assertThat(header(deadLetter, "llmstream.error.partition")).isEqualTo(body.path("source").path("partition").asText());
        assertThat(header(deadLetter, "llmstream.error.offset")).isEqualTo(body.path("source").path("offset").asText());
        assertThat(deadLetter.headers().lastHeader("llmstream.error.status")).as("no HTTP status").isNull();
        assertThat(mock.stats().status(429)).isZero();
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
