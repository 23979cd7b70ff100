package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockJsonAnswers;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ETL pipeline as deployed: a topic of ordinary JSON records (not prompts) through a template and a
 * json_schema answer, out enriched with typed fields, on a real broker and the mock over real sockets;
 * every record exactly once, enriched or a dead letter with its reason.
 */
class EnrichmentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 600;
    private static final String SCHEMA = "{type: object, additionalProperties: false, required: [sentiment, stars], "
            + "properties: {sentiment: {type: string, enum: [positive, neutral, negative]}, "
            + "stars: {type: integer, minimum: 1, maximum: 5}, topics: {type: array, items: {type: string}}}}";

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(12)
                .rpm(120_000).tpm(20_000_000).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    /** Record i: by i mod 20, one without the field the template needs, one never answered with JSON, one
     * answered off the schema once, one that is not an object, one that holds the answer's field already. */
    private static String record(int i) {
        // As it stands in the JSON: quotes escaped.
        String text = "Review " + i + ": the room was {{fine}} and the staff \\\"friendly\\\" ü";
        return switch (i % 20) {
            case 3 -> "{\"review_id\": " + i + ", \"stars\": 4}";                                     // no text
            case 7 -> "{\"review_id\": " + i + ", \"text\": \"[[mock:not_jsonx*]] " + text + "\"}";   // never JSON
            case 11 -> "{\"review_id\": " + i + ", \"text\": \"[[mock:off_schemax1]] " + text + "\", \"price\": 1.50}";
            case 13 -> "[\"review\", " + i + "]";                                                     // not an object
            case 17 -> "{\"review_id\": " + i + ", \"text\": \"" + text + "\", \"analysis\": 1}";      // taken field
            default -> "{ \"review_id\": " + i + ", \"hotel\": {\"name\": \"Seeblick\", \"rooms\": [1, 2]}, "
                    + "\"text\": \"" + text + "\", \"price\": 189.50, \"big\": 1e3 }";
        };
    }

    @Test
    void everyRecordComesOutOnceEnrichedOrWithItsReason() throws Exception {
        kafka.createTopic("reviews", 3);
        for (String topic : List.of("reviews-enriched", "reviews-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            values.add(record(i));
        }
        TopicWriter.write(kafka.bootstrapServers(), "reviews", values);

        KafkaJobRuns.runBounded(kafka.bootstrapServers(), mock.baseUrl(),
                "kafka: {topics: {input: reviews, output: reviews-enriched, dead-letter: reviews-dlq}}",
                "models: {m1: {endpoint: mock, rpm: 100000, tpm: 10000000}}",
                "call: {retry: {initial-backoff: 20ms, max-backoff: 100ms}}", "job: {parallelism: 2}",
                "records: {template: {prompt: 'Classify this review: {{text}}', system: 'Answer with JSON.', "
                        + "id: '{{review_id}}', parameters: {max_tokens: 200, temperature: 0, response_format: "
                        + "{type: json_schema, json_schema: {name: review, strict: true, schema: " + SCHEMA + "}}}}, "
                        + "output: enrich, field: analysis, answer: json, meta-field: _llmstream}");

        Map<String, ConsumerRecord<String, String>> enriched = read("reviews-enriched");
        Map<String, ConsumerRecord<String, String>> deadLetters = read("reviews-dlq");
        JsonNode schema = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(SCHEMA);
        int expectedEnriched = 0;
        for (int i = 0; i < RECORDS; i++) {
            String id = String.valueOf(i);
            switch (i % 20) {
                case 3 -> assertDeadLetter(deadLetters.get(id), "invalid_input",
                        "the record has no field text, which records.template.prompt needs", values.get(i));
                case 7 -> {
                    JsonNode letter = assertDeadLetter(deadLetters.get(id), "invalid_answer", null, values.get(i));
                    assertThat(letter.path("error").path("code").asText()).isEqualTo("not_json");
                    assertThat(letter.path("attempts").asInt()).isEqualTo(4);
                    assertThat(letter.path("answer").asText()).startsWith("Echo[");
                }
                case 13 -> { } // keyed by its coordinates, counted below
                case 17 -> assertDeadLetter(deadLetters.get(id), "invalid_input", "the record already has the field "
                        + "analysis, where records.field puts the answer; it is not overwritten", values.get(i));
                default -> {
                    expectedEnriched++;
                    ConsumerRecord<String, String> record = enriched.get(id);
                    assertThat(record).as(id).isNotNull();
                    String input = values.get(i);
                    // The input, byte for byte, with the answer and the facts added before its last brace.
                    int end = input.lastIndexOf('}');
                    assertThat(record.value()).startsWith(input.substring(0, end) + ",\"analysis\":{")
                            .endsWith("}" + input.substring(end));
                    JsonNode value = JSON.readTree(record.value());
                    String text = JSON.readTree(input).get("text").asText();
                    JsonNode analysis = value.get("analysis");
                    assertThat(analysis).as(id).isEqualTo(MockJsonAnswers.answerFor(schema,
                            "Classify this review: " + text));
                    assertThat(analysis.get("stars").isInt()).isTrue();
                    assertThat(value.get("review_id").asInt()).isEqualTo(i);
                    assertThat(value.path("_llmstream").path("model").asText()).isEqualTo("m1");
                    assertThat(value.path("_llmstream").path("attempts").asInt())
                            .isEqualTo(header(record, "llmstream.attempts"));
                    if (i % 20 == 11) {
                        assertThat(value.path("_llmstream").path("attempts").asInt()).as("off schema once").isGreaterThan(1);
                    }
                    assertThat(record.headers().lastHeader("llmstream.model")).isNotNull();
                }
            }
        }
        long notObjects = deadLetters.values().stream().filter(r -> r.key().startsWith("reviews-")).count();
        assertThat(notObjects).isEqualTo(RECORDS / 20);
        assertThat(enriched).hasSize(expectedEnriched);
        assertThat(enriched.size() + deadLetters.size()).as("every record exactly once").isEqualTo(RECORDS);
    }

    private static JsonNode assertDeadLetter(ConsumerRecord<String, String> record, String kind, String message,
            String input) throws Exception {
        assertThat(record).isNotNull();
        JsonNode letter = JSON.readTree(record.value());
        assertThat(letter.path("error").path("kind").asText()).isEqualTo(kind);
        if (message != null) {
            assertThat(letter.path("error").path("message").asText()).isEqualTo(message);
        }
        assertThat(letter.path("input").asText()).isEqualTo(input);
        assertThat(letter.path("id").asText()).isEqualTo(record.key());
        return letter;
    }

    private static int header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
    }

    /** Every record of a topic by key, checking that no key appears twice. */
    private static Map<String, ConsumerRecord<String, String>> read(String topic) {
        Map<String, ConsumerRecord<String, String>> byKey = new HashMap<>();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of(topic), false)) {
            List<ConsumerRecord<String, String>> records;
            do {
                records = reader.poll(Duration.ofSeconds(3));
                for (ConsumerRecord<String, String> record : records) {
                    assertThat(byKey.put(record.key(), record)).as("duplicate " + record.key()).isNull();
                }
            } while (!records.isEmpty());
        }
        return byKey;
    }
}
