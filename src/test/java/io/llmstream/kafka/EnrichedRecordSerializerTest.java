package io.llmstream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.TestConfigs;
import io.llmstream.config.RecordsSettings;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.SourcePosition;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Enriched records as written: the input's own text with the answer added, key = id, facts as headers. */
class EnrichedRecordSerializerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE = "template: {prompt: '{{text}}', id: '{{review_id}}'}";

    private static RecordsSettings records(String more) {
        return TestConfigs.offline("records: {" + TEMPLATE + ", output: enrich" + more + "}").records();
    }

    private static Completion completion(String content, String input) {
        return new Completion("5012", "m1", content, "stop", null, 31, 9, 40, 2, 412, 35, -1, null, null, null)
                .withInput(input);
    }

    private static ProducerRecord<byte[], byte[]> write(RecordsSettings records, Completion completion) {
        return new EnrichedRecordSerializer("reviews-enriched", records).serialize(completion, null, 77L);
    }

    private static String value(ProducerRecord<byte[], byte[]> record) {
        return new String(record.value(), StandardCharsets.UTF_8);
    }

    private static Map<String, String> headers(ProducerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    @Test
    void keepsEveryFieldOfTheInputExactlyAndAddsTheJsonAnswer() throws Exception {
        String input = "{ \"review_id\": 5012,  \"text\": \"Zimmer \\u00fcberteuert, \\\"ok\\\" 👍\", \"price\": 189.50, "
                + "\"big\": 12345678901234567890123, \"exp\": 1e3, \"tags\": [\"a\", {\"b\": null}] ,"
                + " \"nested\": {\"z\": 1, \"a\": 2} }";
        String answer = "{\"sentiment\": \"negative\", \"confidence\": 0.90, \"stars\": 2}";

        ProducerRecord<byte[], byte[]> record = write(records(", field: analysis, answer: json"),
                completion(answer, input));

        assertThat(value(record)).isEqualTo(input.substring(0, input.length() - 1)
                + ",\"analysis\":{\"sentiment\":\"negative\",\"confidence\":0.90,\"stars\":2}}");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("5012");
        assertThat(record.topic()).isEqualTo("reviews-enriched");
        assertThat(record.timestamp()).isEqualTo(77L);
        JsonNode analysis = JSON.readTree(value(record)).get("analysis");
        assertThat(analysis.get("stars").isInt()).as("typed, not a string").isTrue();
    }

    @Test
    void createsTheNestedObjectsOfAPathAndFillsOnesThatExist() throws Exception {
        RecordsSettings records = records(", field: llm.review.analysis, meta-field: _llmstream");

        assertThat(value(write(records, completion("Positive.", "{\"review_id\": 1}")))).isEqualTo(
                "{\"review_id\": 1,\"llm\":{\"review\":{\"analysis\":\"Positive.\"}},\"_llmstream\":"
                        + "{\"id\":\"5012\",\"model\":\"m1\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":31,"
                        + "\"completion_tokens\":9,\"total_tokens\":40},\"attempts\":2,\"latency_ms\":412,\"wait_ms\":35}}");
        assertThat(value(write(records, completion("Positive.", "{\"llm\": {\"review\": {}, \"x\": [1]}, \"n\": 2}"))))
                .isEqualTo("{\"llm\": {\"review\": {\"analysis\":\"Positive.\"}, \"x\": [1]}, \"n\": 2"
                        + ",\"_llmstream\":{\"id\":\"5012\",\"model\":\"m1\",\"finish_reason\":\"stop\",\"usage\":"
                        + "{\"prompt_tokens\":31,\"completion_tokens\":9,\"total_tokens\":40},\"attempts\":2,"
                        + "\"latency_ms\":412,\"wait_ms\":35}}");
        assertThat(value(write(records(", field: a.b"), completion("x", "{}")))).isEqualTo("{\"a\":{\"b\":\"x\"}}");
        assertThat(value(write(records(", field: a, meta-field: m"), completion("x", " { } "))))
                .as("both into an empty object").startsWith(" { \"a\":\"x\",\"m\":{\"id\":\"5012\"").endsWith("}} ");
    }

    @Test
    void aTextAnswerIsAStringWithItsCharactersEscaped() throws Exception {
        String content = "Line 1\n\"quoted\" {{text}} é";

        String value = value(write(records(""), completion(content, "{\"review_id\": 3, \"text\": \"t\"}")));

        assertThat(JSON.readTree(value).get("answer").asText()).isEqualTo(content);
        assertThat(value).startsWith("{\"review_id\": 3, \"text\": \"t\",\"answer\":");
    }

    @Test
    void theFactsTravelAsHeaders() {
        ProducerRecord<byte[], byte[]> record = write(records(""), completion("x", "{\"a\": 1}"));

        assertThat(headers(record)).containsExactly(
                Map.entry("llmstream.model", "m1"), Map.entry("llmstream.finish.reason", "stop"),
                Map.entry("llmstream.prompt.tokens", "31"), Map.entry("llmstream.completion.tokens", "9"),
                Map.entry("llmstream.total.tokens", "40"), Map.entry("llmstream.attempts", "2"),
                Map.entry("llmstream.latency.ms", "412"), Map.entry("llmstream.wait.ms", "35"));
    }

    @Test
    void anInvalidAnswerDeadLetterKeepsTheAnswerWithinItsShareOfTheRecord() throws Exception {
        int bound = 16 * 1024;
        DeadLetter letter = new DeadLetter("r-1", ErrorKind.INVALID_ANSWER, 200, "not_json", "the answer is not JSON",
                3, "m1", "mock#1", 900, 0, "{\"text\": \"t\"}", 13, false, new SourcePosition("reviews", 0, 1))
                .withAnswer("é".repeat(10_000));

        ProducerRecord<byte[], byte[]> record = new DeadLetterSerializer("dlq", bound).serialize(letter, null, 1L);

        JsonNode value = JSON.readTree(record.value());
        assertThat(value.path("error").path("kind").asText()).isEqualTo("invalid_answer");
        assertThat(value.path("answer").asText()).isEqualTo("é".repeat(bound / 8 / 2));
        assertThat(value.path("input").asText()).isEqualTo("{\"text\": \"t\"}");
        assertThat(record.value().length).isLessThan(bound);

        DeadLetter small = letter.withAnswer("Not JSON at all");
        assertThat(JSON.readTree(new DeadLetterSerializer("dlq", bound).serialize(small, null, 1L).value())
                .path("answer").asText()).isEqualTo("Not JSON at all");
    }

    @Test
    void anEmbeddingIsAddedAsItsVector() throws Exception {
        String input = "{\"doc_id\": 7, \"text\": \"quick fox\"}";
        Completion embedding = new Completion("7", "emb", null, null, null, 3, 0, 3, 1, 80, 0, -1, null, null, null,
                "[0.25,-0.5,1.0E-3]", false).withInput(input);

        String value = value(write(records(", field: vector"), embedding));

        assertThat(value).startsWith("{\"doc_id\": 7, \"text\": \"quick fox\"");
        assertThat(JSON.readTree(value).get("vector")).isEqualTo(JSON.readTree("[0.25, -0.5, 0.001]"));
    }
}
