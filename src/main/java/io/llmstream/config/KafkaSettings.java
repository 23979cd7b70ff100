package io.llmstream.config;

import java.io.Serializable;
import java.util.Map;

/** Where prompts come from and where completions, dead letters and metrics go. */
public record KafkaSettings(
        String bootstrapServers,
        String groupId,
        StartingOffsets startingOffsets,
        Topics topics,
        DeliveryGuarantee deliveryGuarantee,
        String transactionalIdPrefix,
        Map<String, String> properties) implements Serializable {

    public static final Option<String> BOOTSTRAP_SERVERS = Option.key("bootstrap-servers").stringType()
            .defaultValue("127.0.0.1:9092")
            .withDescription("Kafka brokers, host:port separated by commas.");
    public static final Option<String> GROUP_ID = Option.key("group-id").stringType()
            .defaultValue("llmstream")
            .withDescription("Consumer group of the input topic; offsets are committed on checkpoints.");
    public static final Option<StartingOffsets> STARTING_OFFSETS = Option.key("starting-offsets")
            .enumType(StartingOffsets.class).defaultValue(StartingOffsets.COMMITTED)
            .withDescription("Where to start reading: the group's committed offsets (earliest where none), "
                    + "the earliest or the latest offsets.");
    public static final Option<DeliveryGuarantee> DELIVERY_GUARANTEE = Option.key("delivery-guarantee")
            .enumType(DeliveryGuarantee.class).defaultValue(DeliveryGuarantee.AT_LEAST_ONCE)
            .withDescription("at-least-once, or exactly-once with Kafka transactions committed on "
                    + "checkpoints (readers then need isolation.level=read_committed).");
    public static final Option<String> TRANSACTIONAL_ID_PREFIX = Option.key("transactional-id-prefix")
            .stringType().defaultValue("llmstream")
            .withDescription("Prefix of the sinks' transactional ids with exactly-once; unique per job.");
    public static final Option<Map<String, String>> PROPERTIES = Option.key("properties")
            .type(ValueType.STRING_MAP).defaultValue(Map.of())
            .withDescription("Passed to every Kafka client: security.protocol, sasl.*, ssl.* ...");

    /** Where the Kafka source starts. */
    public enum StartingOffsets { COMMITTED, EARLIEST, LATEST }

    /** The Kafka sinks' delivery guarantee. */
    public enum DeliveryGuarantee { AT_LEAST_ONCE, EXACTLY_ONCE }

    /** The four topics. */
    public record Topics(String input, String output, String deadLetter, String metrics) implements Serializable {
        public static final Option<String> INPUT = Option.key("input").stringType().defaultValue("prompts")
                .withDescription("Prompts to complete.");
        public static final Option<String> OUTPUT = Option.key("output").stringType().defaultValue("completions")
                .withDescription("One completion per successful prompt, keyed by id.");
        public static final Option<String> DEAD_LETTER = Option.key("dead-letter").stringType()
                .defaultValue("prompts-dlq")
                .withDescription("One dead letter per prompt that could not be completed, keyed by id.");
        public static final Option<String> METRICS = Option.key("metrics").stringType()
                .defaultValue("llmstream-metrics")
                .withDescription("One metrics record per model per window.");

        static Topics read(ConfigSection section) {
            return new Topics(section.get(INPUT), section.get(OUTPUT), section.get(DEAD_LETTER), section.get(METRICS));
        }
    }

    static KafkaSettings read(ConfigSection section) {
        return new KafkaSettings(
                section.get(BOOTSTRAP_SERVERS),
                section.get(GROUP_ID),
                section.get(STARTING_OFFSETS),
                Topics.read(section.section("topics")),
                section.get(DELIVERY_GUARANTEE),
                section.get(TRANSACTIONAL_ID_PREFIX),
                section.get(PROPERTIES));
    }

    /** Shows property names only: their values may hold passwords (sasl.jaas.config). */
    @Override
    public String toString() {
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId
                + ", startingOffsets=" + startingOffsets + ", topics=" + topics
                + ", deliveryGuarantee=" + deliveryGuarantee + ", properties=" + properties.keySet() + "]";
    }
}
