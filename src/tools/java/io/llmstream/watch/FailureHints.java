package io.llmstream.watch;

import io.llmstream.config.Durations;
import io.llmstream.config.KafkaSettings;

import java.util.Optional;

/**
 * What a failure probably means for this job, in words that name the configuration key to change. Only
 * causes that a setting explains get a hint; a bug's stack trace speaks for itself.
 */
public final class FailureHints {
    private static final String KAFKA_TIMEOUT = "org.apache.kafka.common.errors.TimeoutException";

    private final KafkaSettings kafka;

    public FailureHints(KafkaSettings kafka) {
        this.kafka = kafka;
    }

    /** The hint for a failure, if its cause is one a setting explains. */
    public Optional<String> hintFor(FailureCause cause) {
        String where = "Kafka at " + kafka.bootstrapServers() + " (kafka.bootstrap-servers)";
        if (cause.has("InvalidTxnTimeoutException")
                || cause.says("transaction timeout is larger than the maximum value allowed by the broker")) {
            return Optional.of("kafka.transaction-timeout (" + Durations.format(kafka.transactionTimeout())
                    + ") exceeds the broker's transaction.max.timeout.ms: lower kafka.transaction-timeout or raise "
                    + "the broker's maximum");
        }
        if (cause.has("RecordTooLargeException") || cause.says("max.request.size")) {
            return Optional.of("a record is larger than the producers' max.request.size (" + kafka.maxRequestSize()
                    + ", kafka.properties) or the topic's max.message.bytes");
        }
        if (cause.has("SaslAuthenticationException") || cause.has("SslAuthenticationException")
                || cause.has("AuthenticationException")) {
            return Optional.of(where + " refused authentication: check kafka.properties security.protocol and sasl.*");
        }
        if (cause.has("TransactionalIdAuthorizationException")) {
            return Optional.of(where + " denies the transactional ids '" + kafka.transactionalIdPrefix()
                    + "-*' (kafka.transactional-id-prefix): grant the user Write on them");
        }
        if (cause.has("TopicAuthorizationException") || cause.has("GroupAuthorizationException")
                || cause.has("ClusterAuthorizationException")) {
            return Optional.of(where + " denies the user access: grant it the topics of kafka.topics and the group '"
                    + kafka.groupId() + "' (kafka.group-id)");
        }
        if (cause.has("UnknownTopicOrPartitionException") || cause.says("not present in metadata")) {
            return Optional.of("a topic of kafka.topics does not exist on " + kafka.bootstrapServers()
                    + " and is not created automatically");
        }
        if (cause.has("ProducerFencedException")) {
            return Optional.of("another producer took over a transactional id: every job needs its own "
                    + "kafka.transactional-id-prefix (this one: '" + kafka.transactionalIdPrefix() + "')");
        }
        if (cause.hasClass(KAFKA_TIMEOUT) || cause.has("NetworkException") || cause.has("DisconnectException")) {
            return Optional.of("no answer from " + where + " in time: is it up and reachable from the TaskManagers?");
        }
        if (cause.says("Exceeded checkpoint tolerable failure threshold") || cause.says("Checkpoint expired")) {
            return Optional.of("checkpoints do not complete within job.checkpoint-timeout");
        }
        return Optional.empty();
    }
}
