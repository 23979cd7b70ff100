package io.llmstream.kafka;

import io.llmstream.record.DeadLetter;
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
    public static final String TOPIC = PREFIX + "topic";
    public static final String PARTITION = PREFIX + "partition";
    public static final String OFFSET = PREFIX + "offset";

    private DeadLetterHeaders() {}

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
        if (deadLetter.source() != null) {
            add(headers, TOPIC, deadLetter.source().topic());
            add(headers, PARTITION, String.valueOf(deadLetter.source().partition()));
            add(headers, OFFSET, String.valueOf(deadLetter.source().offset()));
        }
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
