package io.llmstream.kafka;

import io.llmstream.call.backlog.BacklogReader;
import io.llmstream.config.KafkaSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.RecordJson;
import io.llmstream.record.UsageRecord;
import io.llmstream.record.WindowMetrics;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.util.Properties;

/** The real Kafka source and sinks of the job, built from the configuration. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    /** The input topic, each record parsed as it is read ({@link InputDeserializer}). */
    public static KafkaSource<ParsedInput> source(LlmStreamConfig config) {
        KafkaSettings kafka = config.kafka();
        KafkaSourceBuilder<ParsedInput> builder = KafkaSource.<ParsedInput>builder()
                .setBootstrapServers(kafka.bootstrapServers())
                .setTopics(kafka.topics().input())
                .setGroupId(kafka.groupId())
                .setStartingOffsets(startingOffsets(kafka.startingOffsets()))
                .setDeserializer(new InputDeserializer(config))
                .setProperties(clientProperties(kafka))
                .setProperty("client.id.prefix", kafka.groupId() + "-source");
        if (config.job().bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /** Reads the input topic again for the records the call stage left there (tenants' backlogs). */
    public static BacklogReader.Factory backlogReaders(LlmStreamConfig config) {
        Properties properties = clientProperties(config.kafka());
        properties.put("bootstrap.servers", config.kafka().bootstrapServers());
        return KafkaBacklogReader.factory(properties);
    }

    /** Completions that would not fit a record never get here: the route stage dead-letters them. */
    public static KafkaSink<Completion> completionSink(LlmStreamConfig config) {
        if (config.records().enriches()) {
            return sink(config, "completions", new EnrichedRecordSerializer(config.kafka().topics().output(),
                    config.records()));
        }
        return sink(config, "completions", new JsonRecordSerializer<>(config.kafka().topics().output(),
                Completion::id, RecordJson::completion));
    }

    public static KafkaSink<DeadLetter> deadLetterSink(LlmStreamConfig config) {
        return sink(config, "dead-letters", new DeadLetterSerializer(config.kafka().topics().deadLetter(),
                config.kafka().maxRequestSize()));
    }

    public static KafkaSink<WindowMetrics> metricsSink(LlmStreamConfig config) {
        return sink(config, "metrics", new JsonRecordSerializer<>(config.kafka().topics().metrics(),
                WindowMetrics::model, RecordJson::windowMetrics));
    }

    /** The usage ledger's sink; null when {@code kafka.topics.usage} is not set. */
    public static KafkaSink<UsageRecord> usageSink(LlmStreamConfig config) {
        String topic = config.kafka().topics().usage();
        return topic == null ? null : sink(config, "usage", new JsonRecordSerializer<>(topic,
                usage -> usage.tenant() + "/" + usage.model(), RecordJson::usage));
    }

    /**
     * A sink whose producers ask for {@code kafka.transaction-timeout} transactions. KafkaSink would ask for
     * one hour, which a broker with Kafka's default transaction.max.timeout.ms (15 minutes) refuses to every
     * producer, so that an exactly-once job would restart forever.
     */
    private static <T> KafkaSink<T> sink(LlmStreamConfig config, String name,
            KafkaRecordSerializationSchema<T> serializer) {
        KafkaSettings kafka = config.kafka();
        boolean exactlyOnce = kafka.deliveryGuarantee() == KafkaSettings.DeliveryGuarantee.EXACTLY_ONCE;
        return KafkaSink.<T>builder()
                .setBootstrapServers(kafka.bootstrapServers())
                .setKafkaProducerConfig(clientProperties(kafka))
                .setProperty(KafkaSettings.TRANSACTION_TIMEOUT_MS, String.valueOf(kafka.transactionTimeout().toMillis()))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(kafka.transactionalIdPrefix() + "-" + name)
                .build();
    }

    private static OffsetsInitializer startingOffsets(KafkaSettings.StartingOffsets startingOffsets) {
        switch (startingOffsets) {
            case EARLIEST:
                return OffsetsInitializer.earliest();
            case LATEST:
                return OffsetsInitializer.latest();
            default:
                return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
    }

    private static Properties clientProperties(KafkaSettings kafka) {
        Properties properties = new Properties();
        properties.putAll(kafka.properties());
        return properties;
    }
}
