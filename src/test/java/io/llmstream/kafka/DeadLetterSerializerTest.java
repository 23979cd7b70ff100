package io.llmstream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.RecordJson;
import io.llmstream.record.SourcePosition;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterSerializerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MIB = 1_048_576;
    private static final int INPUT_BYTES = 3_000_000;

    @ParameterizedTest(name = "{0} input, bound {1}")
    @CsvSource({
        "ascii, 1048576", "ascii, 65536",
        "multibyte, 1048576", "multibyte, 65536",
        "escapes, 1048576", "escapes, 65536",
        "surrogates, 1048576", "surrogates, 65536",
        "mixed, 1048576", "mixed, 65536"})
    void keepsTheLongestPrefixOfA3MbInputThatFitsTheBound(String kind, int bound) throws Exception {
        String input = threeMegabytesOf(kind);
        DeadLetter deadLetter = DeadLetter.invalidInput("prompts-0-7", "the value is too large", input,
                input.getBytes(StandardCharsets.UTF_8).length, false, new SourcePosition("prompts", 0, 7));

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, bound);

        assertThat(producerSize(record)).as("the size the producer checks").isLessThanOrEqualTo(bound)
                .as("as long as fits").isGreaterThan(bound - 1024);
        JsonNode json = JSON.readTree(record.value());
        String prefix = json.path("input").asText();
        assertThat(input).startsWith(prefix);
        assertThat(prefix.length()).isLessThan(input.length());
        assertThat(Character.isHighSurrogate(prefix.charAt(prefix.length() - 1))).as("ends inside a pair").isFalse();
        assertThat(json.path("input_truncated").asBoolean()).isTrue();
        assertThat(json.path("input_bytes").asLong()).isEqualTo(input.getBytes(StandardCharsets.UTF_8).length);
        assertThat(json.path("source").path("offset").asLong()).isEqualTo(7);
        assertThat(header(record, DeadLetterHeaders.INPUT_TRUNCATED)).isEqualTo("true");
        assertThat(header(record, DeadLetterHeaders.INPUT_BYTES)).isEqualTo(json.path("input_bytes").asText());
    }

    @Test
    void writesASmallDeadLetterWhole() throws Exception {
        String input = "{\"id\": \"r-9\", \"prompt\": \"d\u00e9j\u00e0 \\\"vu\\\" \uD83D\uDE00\"}";
        DeadLetter deadLetter = DeadLetter.invalidInput("r-9", "prompt must be a string", input,
                input.getBytes(StandardCharsets.UTF_8).length, false, new SourcePosition("prompts", 1, 2));

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, MIB);

        assertThat(record.value()).isEqualTo(RecordJson.deadLetter(deadLetter));
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("r-9");
        JsonNode json = JSON.readTree(record.value());
        assertThat(json.path("input").asText()).isEqualTo(input);
        assertThat(json.path("input_truncated").asBoolean()).isFalse();
        assertThat(json.path("input_bytes").asInt()).isEqualTo(input.getBytes(StandardCharsets.UTF_8).length);
        assertThat(json.path("output_bytes").isNull()).isTrue();
        assertThat(header(record, DeadLetterHeaders.INPUT_TRUNCATED)).isEqualTo("false");
        assertThat(header(record, DeadLetterHeaders.OUTPUT_BYTES)).isNull();
    }

    @Test
    void saysAnInputTheParseStageAlreadyCutIsTruncated() throws Exception {
        DeadLetter deadLetter = DeadLetter.invalidInput("prompts-0-1", "the value is too large", "{\"prompt\": \"ab",
                2_000_000, true, new SourcePosition("prompts", 0, 1));

        JsonNode json = JSON.readTree(serialize(deadLetter, MIB).value());

        assertThat(json.path("input").asText()).isEqualTo("{\"prompt\": \"ab");
        assertThat(json.path("input_truncated").asBoolean()).isTrue();
        assertThat(json.path("input_bytes").asInt()).isEqualTo(2_000_000);
    }

    @Test
    void writesATombstoneWithoutInput() throws Exception {
        DeadLetter deadLetter = DeadLetter.invalidInput("prompts-0-3", "the record has no value (a tombstone)", null,
                0, false, new SourcePosition("prompts", 0, 3));

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, MIB);

        JsonNode json = JSON.readTree(record.value());
        assertThat(json.path("input").isNull()).isTrue();
        assertThat(json.path("input_bytes").asInt()).isZero();
        assertThat(json.path("input_truncated").asBoolean()).isFalse();
        assertThat(header(record, DeadLetterHeaders.INPUT_BYTES)).isEqualTo("0");
    }

    @Test
    void cutsLongMessagesInTheValueAndTheHeaderAlike() throws Exception {
        DeadLetter deadLetter = new DeadLetter("r-1", ErrorKind.BAD_REQUEST, 400, "c".repeat(500),
                "HTTP 400: " + "x".repeat(5000), 1, "m1", "mock#1", 10, 0, "{}", 2, false, null);

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, MIB);

        JsonNode json = JSON.readTree(record.value());
        String message = json.path("error").path("message").asText();
        assertThat(message).hasSize(DeadLetterSerializer.MAX_MESSAGE_CHARS).startsWith("HTTP 400: xxx").endsWith("...");
        assertThat(header(record, DeadLetterHeaders.MESSAGE)).isEqualTo(message);
        assertThat(json.path("error").path("code").asText()).hasSize(DeadLetterSerializer.MAX_CODE_CHARS);
        assertThat(header(record, DeadLetterHeaders.CODE)).hasSize(DeadLetterSerializer.MAX_CODE_CHARS);
    }

    @Test
    void fitsTheSmallestAllowedBoundWithTheLongestIdAndMessage() throws Exception {
        String id = "\u0001\u4e2d".repeat(PromptParser.MAX_ID_CHARS / 2);
        String input = threeMegabytesOf("escapes");
        DeadLetter deadLetter = new DeadLetter(id, ErrorKind.SERVER_ERROR, 503, "\u0002".repeat(500),
                "\u0003\u4e2d".repeat(5000), 3, "m1", "mock#1", 10, 0, input, INPUT_BYTES, false,
                new SourcePosition("prompts", 0, 1));

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, 16 * 1024);

        assertThat(producerSize(record)).isLessThanOrEqualTo(16 * 1024);
        JsonNode json = JSON.readTree(record.value());
        assertThat(json.path("id").asText()).isEqualTo(id);
        assertThat(input).startsWith(json.path("input").asText());
        assertThat(json.path("input").asText()).isNotEmpty();
    }

    @Test
    void writesTheOutputSizeOfATooLargeCompletion() throws Exception {
        DeadLetter deadLetter = new DeadLetter("r-5", ErrorKind.OUTPUT_TOO_LARGE, 0, null,
                "the completion is 2,097,702 bytes", 1, "m1", "mock#1", 80, 2_097_702, "{\"prompt\": \"x\"}", 15,
                false, new SourcePosition("prompts", 0, 5));

        ProducerRecord<byte[], byte[]> record = serialize(deadLetter, MIB);

        JsonNode json = JSON.readTree(record.value());
        assertThat(json.path("error").path("kind").asText()).isEqualTo("output_too_large");
        assertThat(json.path("output_bytes").asLong()).isEqualTo(2_097_702);
        assertThat(header(record, DeadLetterHeaders.OUTPUT_BYTES)).isEqualTo("2097702");
        assertThat(header(record, DeadLetterHeaders.KIND)).isEqualTo("output_too_large");
    }

    /** About 3 MB of UTF-8 made of one kind of text. */
    static String threeMegabytesOf(String kind) {
        String unit = switch (kind) {
            case "ascii" -> "plain words, nothing special ";
            case "multibyte" -> "d\u00e9j\u00e0 \u4e2d\u6587 \u00fc ";
            case "escapes" -> "\"q\" \\b\\ \u0001\u001f\n\t ";
            case "surrogates" -> "\uD83D\uDE00\uD83D\uDC4D\uD800\uDC00";
            default -> "a\u00e9\u4e2d\"\\\u0001\uD83D\uDE00 ";
        };
        int unitBytes = unit.getBytes(StandardCharsets.UTF_8).length;
        return unit.repeat(INPUT_BYTES / unitBytes + 1);
    }

    private static ProducerRecord<byte[], byte[]> serialize(DeadLetter deadLetter, int bound) {
        return new DeadLetterSerializer("prompts-dlq", bound).serialize(deadLetter, null, 0L);
    }

    /** What KafkaProducer compares with max.request.size before it sends a record. */
    private static int producerSize(ProducerRecord<byte[], byte[]> record) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                record.key(), record.value(), record.headers().toArray());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
