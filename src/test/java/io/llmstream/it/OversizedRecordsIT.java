package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.TopicReader;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.route.ResultRouter;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records larger than the job may write: a 3 MB input on a topic that allows it and a completion that
 * outgrows 1 MiB through its metadata. Both must end as dead letters that fit the dead-letter topic,
 * with no restart (restart-strategy none), while the prompts around them complete.
 */
class OversizedRecordsIT {
    private static final int MIB = 1_048_576;
    private static final int PROMPTS = 40;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A prompt the mock answers with 2,000,000 characters, streamed. */
    private static final String LONG_ANSWER =
            "{\"id\": \"long-answer\", \"prompt\": \"[[mock:long(chars=2000000)]] Write at length.\"}";

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(9)
                .rpm(120_000).tpm(200_000_000).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    @Test
    void oversizedInputsAndCompletionsBecomeDeadLettersThatFitTheirTopic() throws Exception {
        kafka.createTopic("prompts", 2, Map.of("max.message.bytes", String.valueOf(4 * MIB)));
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        String huge = hugeInput();
        String bigMetadata = "{\"id\": \"big-metadata\", \"prompt\": \"Describe the blob\", \"metadata\": {\"blob\": \""
                + "x".repeat(MIB + 100_000) + "\"}}";
        List<String> values = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            values.add("{\"id\": \"p-" + i + "\", \"prompt\": \"Summarize item " + i + "\"}");
            if (i == PROMPTS / 3) {
                values.add(huge);
            } else if (i == 2 * PROMPTS / 3) {
                values.add(bigMetadata);
            } else if (i == PROMPTS / 2) {
                values.add(LONG_ANSWER);
            }
        }
        writeLarge(values);

        JobExecutionResult result = KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 100000}}",
                "job: {parallelism: 2, max-input-bytes: " + 2 * MIB + "}");

        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", PROMPTS);
        for (int i = 0; i < PROMPTS; i++) {
            assertThat(completions.get("p-" + i).path("content").asText()).as("p-" + i)
                    .isEqualTo(MockAnswers.contentFor("Summarize item " + i));
        }
        Map<String, ConsumerRecord<String, String>> deadLetters = readDeadLetters();
        assertThat(deadLetters).hasSize(3);
        for (ConsumerRecord<String, String> record : deadLetters.values()) {
            assertThat(recordBytes(record)).as("dead letter " + record.key() + " with key and headers")
                    .isLessThanOrEqualTo(MIB);
        }

        ConsumerRecord<String, String> invalidRecord = deadLetters.values().stream()
                .filter(record -> !record.key().equals("big-metadata") && !record.key().equals("long-answer"))
                .findFirst().orElseThrow();
        JsonNode invalid = JSON.readTree(invalidRecord.value());
        int hugeBytes = huge.getBytes(StandardCharsets.UTF_8).length;
        assertThat(invalid.path("error").path("kind").asText()).isEqualTo("invalid_input");
        assertThat(invalid.path("input_bytes").asLong()).isEqualTo(hugeBytes);
        assertThat(invalid.path("input_truncated").asBoolean()).isTrue();
        assertThat(huge).startsWith(invalid.path("input").asText());
        assertThat(recordBytes(invalidRecord)).as("the prefix is as long as fits").isGreaterThan(MIB - 8192);
        assertThat(header(invalidRecord, "llmstream.error.input.bytes")).isEqualTo(String.valueOf(hugeBytes));
        assertThat(header(invalidRecord, "llmstream.error.input.truncated")).isEqualTo("true");

        JsonNode tooLarge = JSON.readTree(deadLetters.get("big-metadata").value());
        assertThat(tooLarge.path("error").path("kind").asText()).isEqualTo("output_too_large");
        assertThat(tooLarge.path("output_bytes").asLong()).isGreaterThan(MIB);
        assertThat(tooLarge.path("error").path("message").asText())
                .contains(String.format("%,d bytes", tooLarge.path("output_bytes").asLong()))
                .contains("more than the 1,048,576 bytes a record may have (kafka.properties.max.request.size)");
        assertThat(tooLarge.path("model").asText()).isEqualTo("m1");
        assertThat(tooLarge.path("attempts").asInt()).isEqualTo(1);
        assertThat(tooLarge.path("input_bytes").asLong()).isEqualTo(bigMetadata.getBytes(StandardCharsets.UTF_8).length);
        assertThat(tooLarge.path("input_truncated").asBoolean()).isTrue();
        assertThat(bigMetadata).startsWith(tooLarge.path("input").asText());
        assertThat(header(deadLetters.get("big-metadata"), "llmstream.error.kind")).isEqualTo("output_too_large");

        JsonNode longAnswer = JSON.readTree(deadLetters.get("long-answer").value());
        assertThat(longAnswer.path("error").path("kind").asText()).as("a 2 MB answer").isEqualTo("output_too_large");
        assertThat(longAnswer.path("output_bytes").asLong()).isGreaterThan(2_000_000);
        assertThat(longAnswer.path("input").asText()).isEqualTo(LONG_ANSWER);
        assertThat(longAnswer.path("input_truncated").asBoolean()).isFalse();

        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "requests")).isEqualTo(PROMPTS + 2);
        assertThat(KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "failed")).isEqualTo(2);
        assertThat(result.<Long>getAccumulatorResult(ResultRouter.COMPLETIONS_COUNTER)).isEqualTo(PROMPTS);
        assertThat(result.<Long>getAccumulatorResult(ResultRouter.DEAD_LETTERS_COUNTER)).isEqualTo(2);
        assertThat(result.<Long>getAccumulatorResult(ResultRouter.INVALID_COUNTER)).isEqualTo(1);
    }

    /** A 3 MB prompt of multibyte letters, emoji, quotes and backslashes, which JSON escapes. */
    private static String hugeInput() {
        StringBuilder prompt = new StringBuilder();
        while (prompt.length() < 2_350_000) {
            prompt.append("déjà vu \\\" \uD83D\uDE00 ");
        }
        return "{\"id\": \"huge\", \"prompt\": \"" + prompt + "\"}";
    }

    /** Writes the values as a user's producer with a large max.request.size would. */
    private static void writeLarge(List<String> values) throws Exception {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * MIB);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>("prompts", value)).get();
            }
        }
    }

    /** Every dead letter by key, with the record's headers and sizes. */
    private static Map<String, ConsumerRecord<String, String>> readDeadLetters() {
        Map<String, ConsumerRecord<String, String>> byKey = new HashMap<>();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("prompts-dlq"), false)) {
            List<ConsumerRecord<String, String>> records;
            do {
                records = reader.poll(Duration.ofSeconds(2));
                for (ConsumerRecord<String, String> record : records) {
                    assertThat(byKey.put(record.key(), record)).as("duplicate " + record.key()).isNull();
                }
            } while (!records.isEmpty());
        }
        return byKey;
    }

    /** Key, value and headers, the part of a record that counts against max.request.size besides framing. */
    private static long recordBytes(ConsumerRecord<String, String> record) {
        long bytes = Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
        for (Header header : record.headers()) {
            bytes += header.key().getBytes(StandardCharsets.UTF_8).length + header.value().length;
        }
        return bytes;
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
