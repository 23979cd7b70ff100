package io.llmstream.kafka;

import io.llmstream.record.DeadLetter;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The facts of a dead letter as Kafka headers too, like Kafka Connect's dead-letter context headers,
 * so tools can route and count dead letters without parsing their values.
 */
public final class DeadLetterHeaders {
    public static final String PREFIX = "llmstream.error.";
    public static final String KIND = PREFIX + "kind";
    public static final String STATUS = PREFIX + "status";
    public static final String CODE = PREFIX + "code";
    public static final String MESSAGE = PREFIX + "message";
    public static final String ATTEMPTS = PREFIX + "attempts";
    public static final String ELAPSED_MS = PREFIX + "elapsed.ms";
    public static final String MODEL = PREFIX + "model";
    public static final String KEY_ID = PREFIX + "key.id";
    public static final String OUTPUT_BYTES = PREFIX + "output.bytes";
    public static final String INPUT_BYTES = PREFIX + "input.bytes";
    public static final String INPUT_TRUNCATED = PREFIX + "input.truncated";
    public static final String TOPIC = PREFIX + "topic";
    public static final String PARTITION = PREFIX + "partition";
    public static final String OFFSET = PREFIX + "offset";

    private DeadLetterHeaders() {}

    /** The headers of a dead letter, its text as it is: {@link DeadLetterSerializer} shortens it first. */
    public static Headers of(DeadLetter deadLetter) {
        Headers headers = new RecordHeaders();
        add(headers, KIND, deadLetter.kind().jsonName());
        add(headers, STATUS, deadLetter.status() > 0 ? String.valueOf(deadLetter.status()) : null);
        add(headers, CODE, deadLetter.code());
        add(headers, MESSAGE, deadLetter.message());
        add(headers, ATTEMPTS, String.valueOf(deadLetter.attempts()));
        add(headers, ELAPSED_MS, String.valueOf(deadLetter.elapsedMs()));
        add(headers, MODEL, deadLetter.model());
        add(headers, KEY_ID, deadLetter.keyId());
        add(headers, OUTPUT_BYTES, deadLetter.outputBytes() > 0 ? String.valueOf(deadLetter.outputBytes()) : null);
        add(headers, INPUT_BYTES, String.valueOf(deadLetter.inputBytes()));
        add(headers, INPUT_TRUNCATED, String.valueOf(deadLetter.inputTruncated()));
        if (deadLetter.source() != null) {
            add(headers, TOPIC, deadLetter.source().topic());
            add(headers, PARTITION, String.valueOf(deadLetter.source().partition()));
            add(headers, OFFSET, String.valueOf(deadLetter.source().offset()));
        }
        return headers;
    }

    /** The bytes of the headers' names and values, as they count towards a record's size. */
    public static long bytes(Headers headers) {
        long bytes = 0;
        for (Header header : headers) {
            bytes += header.key().getBytes(StandardCharsets.UTF_8).length
                    + (header.value() == null ? 0 : header.value().length);
        }
        return bytes;
    }

    private static void add(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
