package io.llmstream.it;

import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TaskManager dies in the middle of a run: the job restarts from its last checkpoint, prompts in
 * flight are asked again, and with exactly-once delivery every prompt's answer is in the output once.
 */
class RecoveryIT {
    private static final int PROMPTS = 2000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void aLostTaskManagerLosesNoPromptAndDuplicatesNone(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(6).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"r-" + i + "\", \"prompt\": \"Survive " + i + "\", \"max_tokens\": 20}");

            // 12,000 RPM: about ten seconds of work, with a checkpoint every second.
            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 12000}}",
                    "kafka: {delivery-guarantee: exactly-once, transactional-id-prefix: recovery-it}",
                    "job: {checkpoint-interval: 1s}");
            waitForCommittedCompletions(kafka.bootstrapServers(), PROMPTS / 5);

            cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
            cluster.startTaskManager();
            job.getJobExecutionResult().get(3, TimeUnit.MINUTES);

            var completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", PROMPTS, true);
            for (int i = 0; i < PROMPTS; i++) {
                assertThat(completions.get("r-" + i).path("content").asText()).as("r-" + i)
                        .isEqualTo(MockAnswers.contentFor("Survive " + i));
            }
            assertThat(mock.stats().requests()).as("prompts in flight at the failure were asked again")
                    .isGreaterThan(PROMPTS);
        }
    }

    private static void waitForCommittedCompletions(String bootstrapServers, int atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int seen = 0;
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("completions"), true)) {
            while (seen < atLeast && System.nanoTime() < deadline) {
                seen += reader.poll(Duration.ofMillis(200)).size();
            }
        }
        assertThat(seen).as("completions committed before the failure").isGreaterThanOrEqualTo(atLeast);
    }
}
