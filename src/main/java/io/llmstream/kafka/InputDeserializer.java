package io.llmstream.kafka;

import io.llmstream.record.InputRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps each input record raw: parsing in the job turns bad values into dead letters instead of failing the source. */
public final class InputDeserializer implements KafkaRecordDeserializationSchema<InputRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<InputRecord> out) {
        out.collect(new InputRecord(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.value()));
    }

    @Override
    public TypeInformation<InputRecord> getProducedType() {
        return TypeInformation.of(InputRecord.class);
    }
}
