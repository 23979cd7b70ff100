package io.llmstream.local.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.llmstream.local.kafka.KafkaTestClients.consumer;
import static io.llmstream.local.kafka.KafkaTestClients.pollAtLeast;
import static io.llmstream.local.kafka.KafkaTestClients.pollUntil;
import static io.llmstream.local.kafka.KafkaTestClients.producer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Clients against one broker shared by the tests, each on its own topic. */
class EmbeddedKafkaBrokerTest {

    private static EmbeddedKafkaBroker broker;
    private static Admin admin;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(0).withDefaultPartitions(2));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    @AfterAll
    static void stopBroker() {
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void roundTripsThousandRecordsThroughThreePartitions() throws Exception {
        assertThat(broker.port()).isPositive();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());
        broker.createTopic("round-trip", 3);
        broker.createTopic("round-trip", 3);
        assertThat(partitionsOf("round-trip")).isEqualTo(3);

        Map<String, String> sent = IntStream.range(0, 1000).boxed()
                .collect(Collectors.toMap(i -> "key-" + i, i -> "value-" + i));
        try (KafkaProducer<String, String> producer = producer(broker, Map.of())) {
            for (Map.Entry<String, String> record : sent.entrySet()) {
                producer.send(new ProducerRecord<>("round-trip", record.getKey(), record.getValue()));
            }
            producer.flush();
        }

        List<ConsumerRecord<String, String>> received;
        try (KafkaConsumer<String, String> consumer = consumer(broker, "read_uncommitted")) {
            consumer.subscribe(List.of("round-trip"));
            received = pollAtLeast(consumer, sent.size());
        }
        assertThat(received).hasSize(1000);
        assertThat(received.stream().map(ConsumerRecord::partition).distinct()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(received.stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value)))
                .isEqualTo(sent);
    }

    @Test
    void readCommittedConsumerSeesCommittedTransactionsOnly() {
        broker.createTopic("transactions", 1);
        try (KafkaProducer<String, String> producer = producer(broker, Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-broker-test",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
            producer.initTransactions();
            sendInTransaction(producer, List.of("committed-1", "committed-2", "committed-3"));
            producer.commitTransaction();
            sendInTransaction(producer, List.of("aborted-1", "aborted-2"));
            producer.flush();
            producer.abortTransaction();
            sendInTransaction(producer, List.of("committed-last"));
            producer.commitTransaction();
        }

        assertThat(valuesUpToLast("read_committed"))
                .containsExactly("committed-1", "committed-2", "committed-3", "committed-last");
        // The aborted records did reach the log; only the isolation level hides them.
        assertThat(valuesUpToLast("read_uncommitted")).containsExactly(
                "committed-1", "committed-2", "committed-3", "aborted-1", "aborted-2", "committed-last");
    }

    @Test
    void autoCreatedTopicsGetTheDefaultPartitions() throws Exception {
        try (KafkaProducer<String, String> producer = producer(broker, Map.of())) {
            producer.send(new ProducerRecord<>("auto-created", "k", "v")).get();
        }
        assertThat(partitionsOf("auto-created")).isEqualTo(2);
    }

    @Test
    void keepsKafkasDefaultsThatClientsCanNotice() throws Exception {
        Map<String, String> config = brokerConfig();
        assertThat(config).containsEntry("transaction.max.timeout.ms", "900000")
                .containsEntry("auto.create.topics.enable", "true")
                .containsEntry("message.max.bytes", "1048588")
                .containsEntry("default.replication.factor", "1");
    }

    @Test
    void aServerPropertyChangesTheBrokersSetting() throws Exception {
        try (EmbeddedKafkaBroker lowered = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                        .withServerProperty("transaction.max.timeout.ms", "60000"));
                Admin loweredAdmin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        lowered.bootstrapServers()))) {
            assertThat(brokerConfig(loweredAdmin)).containsEntry("transaction.max.timeout.ms", "60000");
        }
    }

    @Test
    void createTopicRejectsBadArguments() {
        assertThatThrownBy(() -> broker.createTopic("bad", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partitions of topic 'bad' must be at least 1, was 0");
        assertThatThrownBy(() -> broker.createTopic(" ", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("topic must not be blank, was ' '");
    }

    @Test
    void kafkaCannotEndTheJvmWhileTheBrokerRuns() {
        assertThatThrownBy(() -> Exit.halt(1, "simulated fatal fault"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("embedded Kafka broker asked to halt the JVM with status 1 (simulated fatal fault)");
        assertThatThrownBy(() -> Exit.exit(1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("embedded Kafka broker asked to exit the JVM with status 1;");
    }

    private static void sendInTransaction(KafkaProducer<String, String> producer, List<String> values) {
        producer.beginTransaction();
        values.forEach(value -> producer.send(new ProducerRecord<>("transactions", value, value)));
    }

    private static List<String> valuesUpToLast(String isolationLevel) {
        try (KafkaConsumer<String, String> consumer = consumer(broker, isolationLevel)) {
            consumer.subscribe(List.of("transactions"));
            return pollUntil(consumer, records -> records.stream().anyMatch(r -> r.value().equals("committed-last")))
                    .stream().map(ConsumerRecord::value).collect(Collectors.toList());
        }
    }

    private static Map<String, String> brokerConfig() throws Exception {
        return brokerConfig(admin);
    }

    private static Map<String, String> brokerConfig(Admin admin) throws Exception {
        ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(BrokerProperties.NODE_ID));
        return admin.describeConfigs(List.of(node)).all().get().get(node).entries().stream()
                .filter(entry -> entry.value() != null)
                .collect(Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
    }

    private static int partitionsOf(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    }
}
