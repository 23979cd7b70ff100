package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job against the official {@code apache/kafka} image, where Docker runs; skipped where it does not.
 * The embedded broker of the other tests is the same Kafka release; this checks the job against a broker
 * packaged the way a platform team would run it.
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {
    private static final int PROMPTS = 500;

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer(DockerImageName.parse(DockerImageVersions.KAFKA));

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void completesEveryPromptThroughTheOfficialImage() throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            values.add("{\"id\": \"c-" + i + "\", \"prompt\": \"Container prompt " + i + "\"}");
        }
        TopicWriter.write(KAFKA.getBootstrapServers(), "prompts", values);

        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).build())) {
            KafkaJobRuns.runBounded(KAFKA.getBootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock}}", "job: {parallelism: 2}");
        }

        Map<String, JsonNode> completions = KafkaJobRuns.readById(KAFKA.getBootstrapServers(), "completions", PROMPTS);
        for (int i = 0; i < PROMPTS; i++) {
            assertThat(completions.get("c-" + i).path("content").asText())
                    .isEqualTo(MockAnswers.contentFor("Container prompt " + i));
        }
    }
}
