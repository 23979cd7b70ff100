package io.llmstream.kafka;

import io.llmstream.record.DeadLetter;
import io.llmstream.record.RecordJson;
import io.llmstream.record.RecordSize;
import io.llmstream.record.TextCut;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/**
 * Writes dead letters, key = id, as JSON with their facts also in headers, each record within the
 * producers' {@code max.request.size} whatever the input holds: a dead letter keeps the longest prefix of
 * its input that fits and says how large the input was and whether it was cut. A record over the bound
 * would fail the sink, and the restarted job would read the same input and fail again, forever.
 *
 * <p>Besides the input, only the error message and code can be long; they are cut to a fixed length.
 * Ids are at most {@code PromptParser.MAX_ID_CHARS} characters, so the rest of a dead letter fits the
 * smallest bound the configuration allows, 16 KiB.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    /** Error messages are cut to this many characters, in the value and in the header alike. */
    public static final int MAX_MESSAGE_CHARS = 1000;
    /** Provider error codes are cut to this many characters. */
    public static final int MAX_CODE_CHARS = 100;
    /** An invalid answer kept in a dead letter takes at most this share of a record (as JSON): an eighth. */
    private static final int ANSWER_SHARE = 8;
    /** Tries to correct a prefix whose record came out larger than measured; each shortens it by the excess. */
    private static final int FIT_ATTEMPTS = 5;

    private final String topic;
    private final int maxRecordBytes;

    /** @param maxRecordBytes the bound of a whole record, the producers' {@code max.request.size} */
    public DeadLetterSerializer(String topic, int maxRecordBytes) {
        this.topic = topic;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        byte[] key = deadLetter.id() == null ? null : deadLetter.id().getBytes(StandardCharsets.UTF_8);
        int keyBytes = key == null ? 0 : key.length;
        DeadLetter letter = shortened(deadLetter);
        if (letter.answer() != null) {
            letter = letter.withAnswerPrefix(TextCut.jsonPrefix(letter.answer(), maxRecordBytes / ANSWER_SHARE));
        }
        Record whole = Record.of(letter, keyBytes);
        if (whole.size <= maxRecordBytes || letter.input() == null) {
            return whole.toProducerRecord(topic, timestamp, key);
        }
        long room = maxRecordBytes - Record.of(letter.withInputPrefix(0), keyBytes).size;
        Record cut = whole;
        for (int attempt = 0; attempt < FIT_ATTEMPTS && room > 0; attempt++) {
            cut = Record.of(letter.withInputPrefix(TextCut.jsonPrefix(letter.input(), room)), keyBytes);
            if (cut.size <= maxRecordBytes) {
                return cut.toProducerRecord(topic, timestamp, key);
            }
            room -= cut.size - maxRecordBytes;
        }
        return Record.of(letter.withInputPrefix(0), keyBytes).toProducerRecord(topic, timestamp, key);
    }

    private static DeadLetter shortened(DeadLetter deadLetter) {
        String message = deadLetter.message();
        String shortMessage = message == null || message.length() <= MAX_MESSAGE_CHARS ? message
                : TextCut.charPrefix(message, MAX_MESSAGE_CHARS - 3) + "...";
        String code = TextCut.charPrefix(deadLetter.code(), MAX_CODE_CHARS);
        return shortMessage == message && code == deadLetter.code() ? deadLetter
                : deadLetter.withError(code, shortMessage);
    }

    /** A dead letter's value and headers and the size of its whole record. */
    private record Record(byte[] value, Headers headers, long size) {
        static Record of(DeadLetter letter, int keyBytes) {
            byte[] value = RecordJson.deadLetter(letter);
            Headers headers = DeadLetterHeaders.of(letter);
            return new Record(value, headers, RecordSize.of(keyBytes, value.length, DeadLetterHeaders.bytes(headers)));
        }

        ProducerRecord<byte[], byte[]> toProducerRecord(String topic, Long timestamp, byte[] key) {
            return new ProducerRecord<>(topic, null, timestamp, key, value, headers);
        }
    }
}
