package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where prompts come from and where completions, dead letters and metrics go. */
public record KafkaSettings(
        String bootstrapServers,
        String groupId,
        StartingOffsets startingOffsets,
        Topics topics,
        DeliveryGuarantee deliveryGuarantee,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        Duration startupTimeout,
        Map<String, String> properties) implements Serializable {

    /** Kafka producers' own default {@code max.request.size}. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /** The producer setting that bounds every record the job writes. */
    public static final String MAX_REQUEST_SIZE = "max.request.size";
    /** The producer setting {@link #TRANSACTION_TIMEOUT} sets; not accepted in {@link #PROPERTIES}. */
    public static final String TRANSACTION_TIMEOUT_MS = "transaction.timeout.ms";

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
    public static final Option<Duration> TRANSACTION_TIMEOUT = Option.key("transaction-timeout").durationType()
            .defaultValue(Duration.ofMinutes(15))
            .mustBe(v -> v.toMillis() >= 1000 && v.toMillis() <= Integer.MAX_VALUE, "between 1s and 24d")
            .withDescription("Timeout of the sinks' Kafka transactions with exactly-once. It must not exceed "
                    + "the brokers' transaction.max.timeout.ms (15 minutes by default) and must outlast a "
                    + "checkpoint interval plus a checkpoint: job.checkpoint-interval + job.checkpoint-timeout.");
    public static final Option<Duration> STARTUP_TIMEOUT = Option.key("startup-timeout").durationType()
            .defaultValue(Duration.ofSeconds(30)).mustBe(v -> !v.isNegative(), ">= 0")
            .withDescription("How long the start waits for the brokers to answer its checks (reachable, "
                    + "topics exist, transaction timeout allowed) before it fails naming the address; 0 "
                    + "skips the checks.");
    public static final Option<Map<String, String>> PROPERTIES = Option.key("properties")
            .type(ValueType.STRING_MAP).defaultValue(Map.of())
            .withDescription("Passed to every Kafka client: security.protocol, sasl.*, ssl.* ...");

    /** Where the Kafka source starts. */
    public enum StartingOffsets { COMMITTED, EARLIEST, LATEST }

    /** The Kafka sinks' delivery guarantee. */
    public enum DeliveryGuarantee { AT_LEAST_ONCE, EXACTLY_ONCE }

    /** The topics: four, and the usage ledger's when tenants share the job. */
    public record Topics(String input, String output, String deadLetter, String metrics, String usage)
            implements Serializable {

        /** The four topics, without a usage ledger. */
        public Topics(String input, String output, String deadLetter, String metrics) {
            this(input, output, deadLetter, metrics, null);
        }

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
        public static final Option<String> USAGE = Option.key("usage").stringType().noDefaultValue()
                .withDescription("The usage ledger: one record per tenant, model, lane and metrics window, written "
                        + "exactly once with exactly-once delivery. Absent means no ledger.");

        static Topics read(ConfigSection section) {
            return new Topics(section.get(INPUT), section.get(OUTPUT), section.get(DEAD_LETTER), section.get(METRICS),
                    section.get(USAGE));
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
                section.get(TRANSACTION_TIMEOUT),
                section.get(STARTUP_TIMEOUT),
                checkedProperties(section));
    }

    private static Map<String, String> checkedProperties(ConfigSection section) {
        Map<String, String> properties = section.get(PROPERTIES);
        String prefix = section.pathOf(PROPERTIES.key()) + ".";
        if (properties.containsKey(TRANSACTION_TIMEOUT_MS)) {
            throw new ConfigException(prefix + TRANSACTION_TIMEOUT_MS + " is set by "
                    + section.pathOf(TRANSACTION_TIMEOUT.key()) + "; use that key instead, was "
                    + properties.get(TRANSACTION_TIMEOUT_MS));
        }
        String maxRequestSize = properties.get(MAX_REQUEST_SIZE);
        if (maxRequestSize != null) {
            int value;
            try {
                value = Integer.parseInt(maxRequestSize.trim());
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (value < MIN_MAX_REQUEST_SIZE) {
                throw new ConfigException(prefix + MAX_REQUEST_SIZE + " must be an integer >= "
                        + MIN_MAX_REQUEST_SIZE + " (bytes), was " + maxRequestSize);
            }
        }
        return properties;
    }

    /** A record must hold at least its headers and a short dead letter. */
    public static final int MIN_MAX_REQUEST_SIZE = 16 * 1024;

    /**
     * The largest record the producers send: {@code max.request.size} from {@link #properties()}, or Kafka's
     * default. Every record the job writes is kept within it.
     */
    public int maxRequestSize() {
        String value = properties.get(MAX_REQUEST_SIZE);
        return value == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(value.trim());
    }

    /**
     * A copy with one client property set, for what the start-up check learns from the brokers (a lower
     * max.request.size that records must fit).
     */
    public KafkaSettings withProperty(String key, String value) {
        Map<String, String> changed = new LinkedHashMap<>(properties);
        changed.put(key, value);
        return new KafkaSettings(bootstrapServers, groupId, startingOffsets, topics, deliveryGuarantee,
                transactionalIdPrefix, transactionTimeout, startupTimeout, Collections.unmodifiableMap(changed));
    }

    public boolean exactlyOnce() {
        return deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE;
    }

    /** Shows property names only: their values may hold passwords (sasl.jaas.config). */
    @Override
    public String toString() {
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId
                + ", startingOffsets=" + startingOffsets + ", topics=" + topics
                + ", deliveryGuarantee=" + deliveryGuarantee + ", transactionTimeout=" + transactionTimeout
                + ", startupTimeout=" + startupTimeout + ", properties=" + properties.keySet() + "]";
    }
}
