package io.llmstream.kafka;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.Ports;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The start-up check against real brokers: one on Kafka's defaults, others set up unlike it. */
class KafkaStartupCheckTest {
    private static final List<String> TOPICS = List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics");

    private static EmbeddedKafkaBroker kafka;

    private final List<String> notes = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        TOPICS.forEach(topic -> kafka.createTopic(topic, 1));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void passesExactlyOnceOnABrokerWithKafkasDefaults() {
        LlmStreamConfig config = config(kafka, "delivery-guarantee: exactly-once");
        assertThat(KafkaStartupCheck.run(config, notes::add)).isSameAs(config);
        assertThat(notes).isEmpty();
    }

    @Test
    void reportsAnUnreachableBrokerWithinTheStartupTimeout() {
        String nowhere = "127.0.0.1:" + Ports.freePort();
        LlmStreamConfig config = TestConfigs.offline("kafka: {bootstrap-servers: '" + nowhere + "', startup-timeout: 3s}");
        long started = System.nanoTime();
        assertThatThrownBy(() -> KafkaStartupCheck.run(config, notes::add))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("cannot reach Kafka at " + nowhere + " (kafka.bootstrap-servers) within 3s: connection "
                        + "refused by " + nowhere);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
    }

    @Test
    void tellsAListenerThatDoesNotSpeakKafkaFromNoListener() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + silent.getLocalPort();
            LlmStreamConfig config = TestConfigs.offline("kafka: {bootstrap-servers: '" + address
                    + "', startup-timeout: 3s}");
            assertThatThrownBy(() -> KafkaStartupCheck.run(config, notes::add))
                    .isInstanceOf(KafkaStartupException.class)
                    .hasMessage("cannot reach Kafka at " + address + " (kafka.bootstrap-servers) within 3s: " + address
                            + " accepts connections but does not answer as Kafka (does kafka.properties "
                            + "security.protocol match the broker's listener?)");
        }
    }

    @Test
    void reportsAMissingInputTopic() {
        LlmStreamConfig config = config(kafka, "topics: {input: no-such-prompts}");
        assertThatThrownBy(() -> KafkaStartupCheck.run(config, notes::add))
                .isInstanceOf(KafkaStartupException.class)
                .hasMessage("the input topic 'no-such-prompts' (kafka.topics.input) does not exist on "
                        + kafka.bootstrapServers());
    }

    @Test
    void notesAnOutputTopicTheBrokerWillCreate() {
        KafkaStartupCheck.run(config(kafka, "topics: {metrics: new-metrics}"), notes::add);
        assertThat(notes).containsExactly("the output topic 'new-metrics' (kafka.topics.metrics) does not exist on "
                + kafka.bootstrapServers() + " yet: the broker will create it on the first write with its defaults "
                + "(num.partitions, default.replication.factor)");
    }

    @Test
    void lowersMaxRequestSizeToTheSmallestOutputTopicLimit() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("small-completions", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "200000")))).all().get();
        }
        LlmStreamConfig adjusted = KafkaStartupCheck.run(config(kafka, "topics: {output: small-completions}"),
                notes::add);
        assertThat(adjusted.kafka().maxRequestSize()).isEqualTo(200_000 - KafkaStartupRules.BATCH_MARGIN);
        assertThat(notes).containsExactly("the topic 'small-completions' (kafka.topics.output) takes records of at "
                + "most 200000 bytes (max.message.bytes) on " + kafka.bootstrapServers() + ": the producers' "
                + "max.request.size is lowered from 1048576 to 198976, and every record kept within it "
                + "(kafka.properties max.request.size)");
    }

    @Test
    void skipsEverythingWithAZeroStartupTimeout() {
        LlmStreamConfig config = TestConfigs.offline("kafka: {bootstrap-servers: '127.0.0.1:9', startup-timeout: 0}");
        assertThat(KafkaStartupCheck.run(config, notes::add)).isSameAs(config);
        assertThat(notes).containsExactly("Kafka not checked before the start (kafka.startup-timeout: 0)");
    }

    @Test
    void stopsAtABrokerThatAllowsShorterTransactionsOrCreatesNoTopics() {
        try (EmbeddedKafkaBroker strict = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                .withServerProperty("transaction.max.timeout.ms", "60000")
                .withServerProperty("auto.create.topics.enable", "false"))) {
            TOPICS.forEach(topic -> strict.createTopic(topic, 1));
            assertThatThrownBy(() -> KafkaStartupCheck.run(config(strict, "delivery-guarantee: exactly-once"),
                    notes::add))
                    .isInstanceOf(KafkaStartupException.class)
                    .hasMessage("kafka.transaction-timeout (15m) is longer than the broker's transaction.max.timeout.ms "
                            + "(1m) at " + strict.bootstrapServers() + ": lower kafka.transaction-timeout or raise the "
                            + "broker's maximum");
            assertThat(KafkaStartupCheck.run(config(strict, "delivery-guarantee: at-least-once"), notes::add))
                    .as("at-least-once needs no transactions").isNotNull();
            assertThatThrownBy(() -> KafkaStartupCheck.run(config(strict, "topics: {output: not-created}"),
                    notes::add))
                    .isInstanceOf(KafkaStartupException.class)
                    .hasMessage("the output topic 'not-created' (kafka.topics.output) does not exist on "
                            + strict.bootstrapServers() + ", and the broker does not create topics "
                            + "(auto.create.topics.enable=false): create it first");
        }
    }

    /**
     * A SASL/PLAIN listener set up through server properties: wrong credentials are named as such within the
     * timeout, right ones pass.
     */
    @Test
    void reportsRefusedAuthentication() {
        try (EmbeddedKafkaBroker sasl = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                .withServerProperty("listener.security.protocol.map", "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .withServerProperty("sasl.enabled.mechanisms", "PLAIN")
                .withServerProperty("sasl.mechanism.inter.broker.protocol", "PLAIN")
                .withServerProperty("listener.name.plaintext.plain.sasl.jaas.config",
                        plainLogin("admin", "admin-secret").replace(";", " user_admin=\"admin-secret\";"))
                .withClientProperty("security.protocol", "SASL_PLAINTEXT")
                .withClientProperty("sasl.mechanism", "PLAIN")
                .withClientProperty("sasl.jaas.config", plainLogin("admin", "admin-secret")))) {
            TOPICS.forEach(topic -> sasl.createTopic(topic, 1));

            LlmStreamConfig wrong = config(sasl, saslProperties("wrong-secret"));
            long started = System.nanoTime();
            assertThatThrownBy(() -> KafkaStartupCheck.run(wrong, notes::add))
                    .isInstanceOf(KafkaStartupException.class)
                    .hasMessage("Kafka at " + sasl.bootstrapServers() + " refused authentication: Authentication "
                            + "failed: Invalid username or password (check kafka.properties security.protocol and sasl.*)");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

            LlmStreamConfig right = config(sasl, saslProperties("admin-secret"));
            assertThat(KafkaStartupCheck.run(right, notes::add)).isSameAs(right);
        }
    }

    private static String plainLogin(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static String saslProperties(String password) {
        return "properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN, sasl.jaas.config: '"
                + plainLogin("admin", password) + "'}";
    }

    /** The job's configuration on a broker, with more settings of the kafka section. */
    private static LlmStreamConfig config(EmbeddedKafkaBroker broker, String kafkaYaml) {
        return TestConfigs.offline("kafka: {bootstrap-servers: '" + broker.bootstrapServers() + "', startup-timeout: 10s, "
                + kafkaYaml + "}");
    }
}
