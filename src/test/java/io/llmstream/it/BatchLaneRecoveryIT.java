package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TaskManager dies while batches are open at the provider: the job restarts from its last checkpoint, polls
 * the batches it holds, finds the ones it sent after that checkpoint by their metadata, and sends no line twice;
 * with exactly-once delivery every record's answer is in the output once.
 */
class BatchLaneRecoveryIT {
    private static final int RECORDS = 300;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void aLostTaskManagerWithBatchesOpenSendsNoLineTwice(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(8)
                        .batchInProgress(Duration.ofSeconds(6)).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", RECORDS,
                    i -> "{\"id\": \"r-" + i + "\", \"lane\": \"batch\", \"prompt\": \"Survive " + i + "\"}");

            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60, batch-lane: {max-lines: 100, max-wait: 500ms, "
                            + "poll: 500ms}}}",
                    "kafka: {delivery-guarantee: exactly-once, transactional-id-prefix: batch-recovery-it}",
                    "job: {checkpoint-interval: 1s}");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (mock.stats().batch().batchesCreated() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            MockStats.Batch before = mock.stats().batch();
            assertThat(before.batchesCreated()).as("batches open when the TaskManager dies").isGreaterThanOrEqualTo(2);
            assertThat(before.linesAnswered()).as("none answered yet").isZero();

            cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
            cluster.startTaskManager();
            job.getJobExecutionResult().get(3, TimeUnit.MINUTES);

            Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                    RECORDS, true);
            for (int i = 0; i < RECORDS; i++) {
                JsonNode completion = completions.get("r-" + i);
                assertThat(completion.path("content").asText()).as("r-" + i)
                        .isEqualTo(MockAnswers.contentFor("Survive " + i));
                assertThat(completion.path("lane").asText()).isEqualTo("batch");
            }
            MockStats.Batch after = mock.stats().batch();
            assertThat(after.linesSubmitted()).as("no line sent twice").isEqualTo(RECORDS);
            assertThat(after.batchesCreated()).isEqualTo(3);
            assertThat(mock.stats().byKeyModel()).as("no online request").isEmpty();
        }
    }
}
