package io.llmstream.kafka;

import io.llmstream.config.RecordsSettings;
import io.llmstream.record.Completion;
import io.llmstream.record.EnrichedJson;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes {@code records.output: enrich} records: key = id, value = the input record with the answer added
 * ({@link EnrichedJson}), the call's facts as {@code llmstream.*} headers. Records too large to write never
 * get here: the route stage dead-letters them.
 */
public final class EnrichedRecordSerializer implements KafkaRecordSerializationSchema<Completion> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final RecordsSettings records;

    public EnrichedRecordSerializer(String topic, RecordsSettings records) {
        this.topic = topic;
        this.records = records;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Completion completion, KafkaSinkContext context, Long timestamp) {
        Headers headers = new RecordHeaders();
        for (Map.Entry<String, String> header : EnrichedJson.headers(completion).entrySet()) {
            headers.add(header.getKey(), header.getValue().getBytes(StandardCharsets.UTF_8));
        }
        byte[] key = completion.id() == null ? null : completion.id().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, timestamp, key, EnrichedJson.value(completion, records), headers);
    }
}
