package io.llmstream.watch;

import io.llmstream.TestConfigs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailureHintsTest {
    private final FailureHints hints = new FailureHints(TestConfigs.offline(
            "kafka: {bootstrap-servers: 'kafka-1:9092', transaction-timeout: 20m, transactional-id-prefix: etl, "
                    + "properties: {max.request.size: '500000'}}").kafka());

    @Test
    void aRefusedTransactionTimeoutNamesTheKeyAndItsValue() {
        String expected = "kafka.transaction-timeout (20m) exceeds the broker's transaction.max.timeout.ms: lower "
                + "kafka.transaction-timeout or raise the broker's maximum";
        assertThat(hint("org.apache.kafka.common.KafkaException: Unexpected error in InitProducerIdResponse; The "
                + "transaction timeout is larger than the maximum value allowed by the broker (as configured by "
                + "transaction.max.timeout.ms).")).isEqualTo(expected);
        assertThat(hint("org.apache.kafka.common.errors.InvalidTxnTimeoutException: refused")).isEqualTo(expected);
    }

    @Test
    void aRecordTooLargeNamesMaxRequestSize() {
        assertThat(hint("org.apache.kafka.common.errors.RecordTooLargeException: The request included a message "
                + "larger than the max message size the server will accept."))
                .isEqualTo("a record is larger than the producers' max.request.size (500000, kafka.properties) or "
                        + "the topic's max.message.bytes");
    }

    @Test
    void kafkaTimeoutsNameTheAddressButOtherTimeoutsGetNoHint() {
        assertThat(hint("org.apache.kafka.common.errors.TimeoutException: Timeout expired after 60000ms while "
                + "awaiting InitProducerId")).isEqualTo("no answer from Kafka at kafka-1:9092 "
                + "(kafka.bootstrap-servers) in time: is it up and reachable from the TaskManagers?");
        assertThat(hints.hintFor(FailureCause.fromStackTrace("java.util.concurrent.TimeoutException: slow"))).isEmpty();
    }

    @Test
    void refusalsNameTheSettingsThatDecide() {
        assertThat(hint("org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed: Invalid "
                + "username or password")).isEqualTo("Kafka at kafka-1:9092 (kafka.bootstrap-servers) refused "
                + "authentication: check kafka.properties security.protocol and sasl.*");
        assertThat(hint("org.apache.kafka.common.errors.TransactionalIdAuthorizationException: denied"))
                .isEqualTo("Kafka at kafka-1:9092 (kafka.bootstrap-servers) denies the transactional ids 'etl-*' "
                        + "(kafka.transactional-id-prefix): grant the user Write on them");
        assertThat(hint("org.apache.kafka.common.errors.ProducerFencedException: fenced"))
                .contains("kafka.transactional-id-prefix (this one: 'etl')");
    }

    @Test
    void aBugGetsNoHint() {
        assertThat(hints.hintFor(FailureCause.fromStackTrace("java.lang.NullPointerException: oops"))).isEmpty();
    }

    private String hint(String rootLine) {
        String trace = "org.apache.flink.util.FlinkRuntimeException: wrapper\n\tat a.b.C.d(C.java:1)\nCaused by: "
                + rootLine + "\n\tat e.f.G.h(G.java:2)";
        return hints.hintFor(FailureCause.fromStackTrace(trace)).orElseThrow();
    }
}
