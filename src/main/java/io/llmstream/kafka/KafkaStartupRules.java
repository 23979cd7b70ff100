package io.llmstream.kafka;

import io.llmstream.config.Durations;
import io.llmstream.config.KafkaSettings;
import io.llmstream.config.LlmStreamConfig;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Judges what the brokers told the start-up check: a setup that cannot work fails the start with one line
 * naming the address and the key; a setup that works differently than configured is adjusted and said in
 * one line.
 */
final class KafkaStartupRules {
    /**
     * Room left between the largest record and a topic's max.message.bytes for what a batch adds around it:
     * the batch header (61 bytes), the record's own framing and a compression codec's.
     */
    static final int BATCH_MARGIN = 1024;

    private KafkaStartupRules() {}

    /**
     * @return the configuration to run with: the same, or with a lower max.request.size that records fit
     * @throws KafkaStartupException if the job cannot work against these brokers
     */
    static LlmStreamConfig apply(LlmStreamConfig config, KafkaClusterFacts facts, Consumer<String> notes) {
        KafkaSettings kafka = config.kafka();
        if (facts.missingTopics().contains(kafka.topics().input())) {
            throw new KafkaStartupException("the input topic '" + kafka.topics().input() + "' (kafka.topics.input) "
                    + "does not exist on " + facts.address());
        }
        Map<String, String> outputs = outputTopics(kafka.topics());
        outputs.forEach((topic, key) -> {
            if (facts.missingTopics().contains(topic)) {
                notes.accept(missingOutput(topic, key, facts));
            }
        });
        if (kafka.exactlyOnce()) {
            checkTransactionTimeout(kafka.transactionTimeout(), facts, notes);
        }
        return fitRecords(config, outputs, facts, notes);
    }

    /** A missing output topic is fine where the broker creates it on the first write. */
    private static String missingOutput(String topic, String key, KafkaClusterFacts facts) {
        String missing = "the output topic '" + topic + "' (" + key + ") does not exist on " + facts.address();
        if (facts.broker().isEmpty()) {
            return missing + " yet: the broker creates it on the first write if its auto.create.topics.enable is "
                    + "true, which could not be read (" + facts.brokerUnreadable() + ")";
        }
        if (!facts.broker().get().autoCreateTopics()) {
            throw new KafkaStartupException(missing + ", and the broker does not create topics "
                    + "(auto.create.topics.enable=false): create it first");
        }
        return missing + " yet: the broker will create it on the first write with its defaults "
                + "(num.partitions, default.replication.factor)";
    }

    /** A transaction longer than the broker allows is refused to every producer, on every restart. */
    private static void checkTransactionTimeout(Duration timeout, KafkaClusterFacts facts, Consumer<String> notes) {
        if (facts.broker().isEmpty()) {
            notes.accept("kafka.transaction-timeout (" + Durations.format(timeout) + ") not checked against the "
                    + "brokers' transaction.max.timeout.ms at " + facts.address() + ": " + facts.brokerUnreadable());
            return;
        }
        KafkaClusterFacts.BrokerConfig broker = facts.broker().get();
        Duration maximum = Duration.ofMillis(broker.transactionMaxTimeoutMs());
        if (timeout.compareTo(maximum) > 0) {
            throw new KafkaStartupException("kafka.transaction-timeout (" + Durations.format(timeout) + ") is longer "
                    + "than the broker's transaction.max.timeout.ms (" + Durations.format(maximum) + ") at "
                    + broker.address() + ": lower kafka.transaction-timeout or raise the broker's maximum");
        }
    }

    /**
     * Records must fit the smallest output topic's max.message.bytes (the broker's message.max.bytes for a
     * topic it will create), or the broker refuses them and the job fails over and over.
     */
    private static LlmStreamConfig fitRecords(LlmStreamConfig config, Map<String, String> outputs,
            KafkaClusterFacts facts, Consumer<String> notes) {
        String tightest = null;
        int limit = Integer.MAX_VALUE;
        String what = "max.message.bytes";
        for (Map.Entry<String, String> output : outputs.entrySet()) {
            String topic = output.getKey();
            Integer topicLimit = facts.maxMessageBytes().get(topic);
            String source = "max.message.bytes";
            if (topicLimit == null && facts.missingTopics().contains(topic) && facts.broker().isPresent()) {
                topicLimit = facts.broker().get().messageMaxBytes();
                source = "the broker's message.max.bytes, as it will create the topic";
            }
            if (topicLimit != null && topicLimit < limit) {
                tightest = topic;
                limit = topicLimit;
                what = source;
            }
        }
        int maxRequestSize = config.kafka().maxRequestSize();
        if (tightest == null || limit >= maxRequestSize) {
            return config;
        }
        String where = "the topic '" + tightest + "' (" + outputs.get(tightest) + ") takes records of at most " + limit
                + " bytes (" + what + ") on " + facts.address();
        int lowered = limit - BATCH_MARGIN;
        if (lowered < KafkaSettings.MIN_MAX_REQUEST_SIZE) {
            throw new KafkaStartupException(where + ", too small for the job's records (at least "
                    + (KafkaSettings.MIN_MAX_REQUEST_SIZE + BATCH_MARGIN) + " bytes): raise the topic's "
                    + "max.message.bytes");
        }
        notes.accept(where + ": the producers' max.request.size is lowered from " + maxRequestSize + " to " + lowered
                + ", and every record kept within it (kafka.properties max.request.size)");
        return config.withKafka(config.kafka().withProperty(KafkaSettings.MAX_REQUEST_SIZE, String.valueOf(lowered)));
    }

    /** The topics the job writes, each with its key; a topic named twice is checked once. */
    private static Map<String, String> outputTopics(KafkaSettings.Topics topics) {
        Map<String, String> outputs = new LinkedHashMap<>();
        outputs.putIfAbsent(topics.output(), "kafka.topics.output");
        outputs.putIfAbsent(topics.deadLetter(), "kafka.topics.dead-letter");
        outputs.putIfAbsent(topics.metrics(), "kafka.topics.metrics");
        if (topics.usage() != null) {
            outputs.putIfAbsent(topics.usage(), "kafka.topics.usage");
        }
        return outputs;
    }
}
