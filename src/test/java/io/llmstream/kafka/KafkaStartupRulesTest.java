package io.llmstream.kafka;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaStartupRulesTest {
    private static final String ADDRESS = "kafka-1:9092";
    private static final KafkaClusterFacts.BrokerConfig DEFAULT_BROKER =
            new KafkaClusterFacts.BrokerConfig(ADDRESS, 900_000, true, 1_048_588);

    private final List<String> notes = new ArrayList<>();

    @Test
    void aBrokerWithKafkasDefaultsNeedsNothing() {
        LlmStreamConfig config = exactlyOnce();
        assertThat(apply(config, facts(Set.of(), Map.of(), DEFAULT_BROKER))).isSameAs(config);
        assertThat(notes).isEmpty();
    }

    @Test
    void aMissingInputTopicStopsTheStart() {
        assertThatThrownBy(() -> apply(TestConfigs.offline(), facts(Set.of("prompts"), Map.of(), DEFAULT_BROKER)))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("the input topic 'prompts' (kafka.topics.input) does not exist on kafka-1:9092");
    }

    @Test
    void aMissingOutputTopicIsANoteWhereTheBrokerCreatesTopics() {
        apply(TestConfigs.offline(), facts(Set.of("prompts-dlq"), Map.of(), DEFAULT_BROKER));
        assertThat(notes).containsExactly("the output topic 'prompts-dlq' (kafka.topics.dead-letter) does not exist on "
                + "kafka-1:9092 yet: the broker will create it on the first write with its defaults (num.partitions, "
                + "default.replication.factor)");
    }

    @Test
    void aMissingOutputTopicStopsTheStartWhereTheBrokerDoesNotCreateTopics() {
        var strict = new KafkaClusterFacts.BrokerConfig(ADDRESS, 900_000, false, 1_048_588);
        assertThatThrownBy(() -> apply(TestConfigs.offline(), facts(Set.of("completions"), Map.of(), strict)))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("the output topic 'completions' (kafka.topics.output) does not exist on kafka-1:9092, and "
                        + "the broker does not create topics (auto.create.topics.enable=false): create it first");
    }

    @Test
    void aTransactionTimeoutAboveTheBrokersMaximumStopsAnExactlyOnceStart() {
        var lowered = new KafkaClusterFacts.BrokerConfig("kafka-2:9092", 300_000, true, 1_048_588);
        assertThatThrownBy(() -> apply(exactlyOnce(), facts(Set.of(), Map.of(), lowered)))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("kafka.transaction-timeout (15m) is longer than the broker's transaction.max.timeout.ms "
                        + "(5m) at kafka-2:9092: lower kafka.transaction-timeout or raise the broker's maximum");
        assertThat(apply(TestConfigs.offline(), facts(Set.of(), Map.of(), lowered)).kafka().exactlyOnce())
                .as("at-least-once uses no transactions").isFalse();
    }

    @Test
    void unreadableBrokerSettingsSkipTheTransactionCheckWithANote() {
        var facts = new KafkaClusterFacts(ADDRESS, Set.of(), Map.of(), Optional.empty(),
                "describing the brokers' configuration is not authorized (Cluster authorization failed.)");
        apply(exactlyOnce(), facts);
        assertThat(notes).containsExactly("kafka.transaction-timeout (15m) not checked against the brokers' "
                + "transaction.max.timeout.ms at kafka-1:9092: describing the brokers' configuration is not authorized "
                + "(Cluster authorization failed.)");
    }

    @Test
    void recordsAreBoundByTheSmallestOutputTopicLimit() {
        LlmStreamConfig adjusted = apply(TestConfigs.offline(),
                facts(Set.of(), Map.of("completions", 600_000, "prompts-dlq", 500_000), DEFAULT_BROKER));
        assertThat(adjusted.kafka().maxRequestSize()).isEqualTo(500_000 - KafkaStartupRules.BATCH_MARGIN);
        assertThat(notes).containsExactly("the topic 'prompts-dlq' (kafka.topics.dead-letter) takes records of at most "
                + "500000 bytes (max.message.bytes) on kafka-1:9092: the producers' max.request.size is lowered from "
                + "1048576 to 498976, and every record kept within it (kafka.properties max.request.size)");
    }

    @Test
    void aTopicTheBrokerWillCreateTakesTheBrokersMessageMaxBytes() {
        var small = new KafkaClusterFacts.BrokerConfig(ADDRESS, 900_000, true, 100_000);
        LlmStreamConfig adjusted = apply(TestConfigs.offline(), facts(Set.of("llmstream-metrics"), Map.of(), small));
        assertThat(adjusted.kafka().maxRequestSize()).isEqualTo(100_000 - KafkaStartupRules.BATCH_MARGIN);
        assertThat(notes).last().asString().startsWith("the topic 'llmstream-metrics' (kafka.topics.metrics) takes "
                + "records of at most 100000 bytes (the broker's message.max.bytes, as it will create the topic)");
    }

    @Test
    void aLargerTopicLimitLeavesMaxRequestSizeAlone() {
        LlmStreamConfig config = TestConfigs.offline("kafka: {properties: {max.request.size: '200000'}}");
        assertThat(apply(config, facts(Set.of(), Map.of("completions", 300_000), DEFAULT_BROKER))).isSameAs(config);
    }

    @Test
    void aTopicTooSmallForAnyRecordStopsTheStart() {
        assertThatThrownBy(() -> apply(TestConfigs.offline(), facts(Set.of(), Map.of("completions", 10_000),
                DEFAULT_BROKER)))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("the topic 'completions' (kafka.topics.output) takes records of at most 10000 bytes "
                        + "(max.message.bytes) on kafka-1:9092, too small for the job's records (at least 17408 "
                        + "bytes): raise the topic's max.message.bytes");
    }

    private LlmStreamConfig apply(LlmStreamConfig config, KafkaClusterFacts facts) {
        return KafkaStartupRules.apply(config, facts, notes::add);
    }

    private static LlmStreamConfig exactlyOnce() {
        return TestConfigs.offline("kafka: {delivery-guarantee: exactly-once}");
    }

    private static KafkaClusterFacts facts(Set<String> missing, Map<String, Integer> maxMessageBytes,
            KafkaClusterFacts.BrokerConfig broker) {
        return new KafkaClusterFacts(ADDRESS, missing, maxMessageBytes, Optional.of(broker), "");
    }
}
