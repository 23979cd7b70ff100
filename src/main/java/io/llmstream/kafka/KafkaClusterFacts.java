package io.llmstream.kafka;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the brokers told the start-up check, kept apart from the asking so that the rules that judge it are
 * plain logic.
 *
 * @param address the {@code kafka.bootstrap-servers} that answered
 * @param missingTopics the job's topics that do not exist
 * @param maxMessageBytes {@code max.message.bytes} of the existing output topics whose configuration could be read
 * @param broker settings of the brokers, if describing them was allowed
 * @param brokerUnreadable why {@code broker} is empty, else ""
 */
record KafkaClusterFacts(
        String address,
        Set<String> missingTopics,
        Map<String, Integer> maxMessageBytes,
        Optional<BrokerConfig> broker,
        String brokerUnreadable) {

    /**
     * The settings of the brokers that matter to the job, the strictest over all brokers.
     *
     * @param address the broker with the lowest transaction.max.timeout.ms, {@code host:port}
     * @param autoCreateTopics whether every broker creates a topic on its first use
     */
    record BrokerConfig(String address, long transactionMaxTimeoutMs, boolean autoCreateTopics, int messageMaxBytes) {}
}
