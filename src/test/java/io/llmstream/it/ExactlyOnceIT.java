package io.llmstream.it;

import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once delivery against a broker on Kafka's default settings, as a production broker has them: the
 * sinks' transactions must fit its 15-minute transaction.max.timeout.ms, or every producer is refused and the
 * job never writes anything.
 */
class ExactlyOnceIT {
    private static final int PROMPTS = 300;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void writesEveryIdOnceOnABrokerWithDefaultSettings() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(9).build())) {
            assertThat(transactionMaxTimeout(kafka)).as("the broker's transaction.max.timeout.ms").isEqualTo("900000");
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"r-" + i + "\", \"prompt\": \"Once " + i + "\", \"max_tokens\": 20}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60000}}",
                    "kafka: {delivery-guarantee: exactly-once, transactional-id-prefix: exactly-once-it}",
                    "job: {checkpoint-interval: 1s}");

            var completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", PROMPTS, true);
            for (int i = 0; i < PROMPTS; i++) {
                assertThat(completions.get("r-" + i).path("content").asText()).as("r-" + i)
                        .isEqualTo(MockAnswers.contentFor("Once " + i));
            }
        }
    }

    private static String transactionMaxTimeout(EmbeddedKafkaBroker kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            String node = String.valueOf(admin.describeCluster().nodes().get().iterator().next().id());
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node);
            return admin.describeConfigs(List.of(broker)).all().get().get(broker)
                    .get("transaction.max.timeout.ms").value();
        }
    }
}
