package io.llmstream.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** Writes records to one topic with a string key and a JSON value. */
public final class JsonRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    /** A function that can travel in the job graph. */
    public interface SerializableFunction<A, B> extends Function<A, B>, Serializable {}

    private final String topic;
    private final SerializableFunction<T, String> key;
    private final SerializableFunction<T, byte[]> value;

    public JsonRecordSerializer(String topic, SerializableFunction<T, String> key,
            SerializableFunction<T, byte[]> value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String recordKey = key.apply(element);
        return new ProducerRecord<>(topic, null, timestamp,
                recordKey == null ? null : recordKey.getBytes(StandardCharsets.UTF_8), value.apply(element));
    }
}
