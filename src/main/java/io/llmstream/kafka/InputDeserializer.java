package io.llmstream.kafka;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.InputRecord;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The parse stage inside the Kafka source: each record becomes a request or, when it is not a valid prompt,
 * a dead letter with the reason ({@link PromptParser}); it never throws, so bad input never fails the source.
 * Parsing here rather than in an operator of its own keeps the source directly in front of the call stage's
 * shuffle, the one exchange where records wait for budget and where unaligned checkpoint barriers can pass
 * them whether Flink chains operators or not.
 */
public final class InputDeserializer implements KafkaRecordDeserializationSchema<ParsedInput> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;
    private transient PromptParser parser;

    public InputDeserializer(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        // With tenants the call stage reads past records it leaves in Kafka, and estimates only those it takes.
        parser = new PromptParser(config, config.hasTenants());
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ParsedInput> out) {
        out.collect(parser.parse(new InputRecord(record.topic(), record.partition(), record.offset(),
                record.timestamp(), record.value()), System.currentTimeMillis()));
    }

    @Override
    public TypeInformation<ParsedInput> getProducedType() {
        return TypeInformation.of(ParsedInput.class);
    }
}
