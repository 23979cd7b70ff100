package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.client.ClientUtils;
import org.apache.flink.client.deployment.executors.RemoteExecutor;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.core.execution.DefaultExecutorServiceLoader;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code flink run target/llmstream-job.jar --config ...}, the way the Flink client does it: the packaged
 * jar as the program, its own main, submitted to a running cluster over REST.
 */
class JobJarIT {
    private static final int PROMPTS = 300;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(classLoading()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /**
     * Child-first loading of the job jar, as on a cluster, except for Kafka's clients: this test's own
     * class path carries the Kafka connector, which Flink loads parent-first (org.apache.flink.*), so
     * its Kafka types must come from the same loader. On a real cluster both come from the jar.
     */
    private static Configuration classLoading() {
        Configuration configuration = new Configuration();
        configuration.set(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, List.of("org.apache.kafka."));
        return configuration;
    }

    @Test
    void theJobJarRunsOnAClusterFromItsConfigFile(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).build())) {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < PROMPTS; i++) {
                // max_tokens keeps the shipped 200,000 TPM of gpt-4o-mini from pacing the test for a minute.
                values.add("{\"id\": \"j-" + i + "\", \"prompt\": \"Jar prompt " + i + "\", \"max_tokens\": 16}");
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
            Path config = dir.resolve("it.yaml");
            Files.writeString(config, "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "'}\n"
                    + "endpoints: {openai: {base-url: '" + mock.baseUrl() + "', api-keys: ['${IT_KEY:-it-key}']}}\n"
                    + "job: {bounded: true, parallelism: 2}\n");

            flinkRun(config);

            Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", PROMPTS);
            for (int i = 0; i < PROMPTS; i++) {
                assertThat(completions.get("j-" + i).path("content").asText())
                        .isEqualTo(MockAnswers.contentFor("Jar prompt " + i));
                assertThat(completions.get("j-" + i).path("model").asText()).isEqualTo("gpt-4o-mini");
            }
        }
    }

    @Test
    void theJobJarChecksKafkaBeforeItSubmits(@TempDir Path dir, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        int jobsBefore = cluster.listJobs().get().size();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults())) {
            Path config = dir.resolve("missing-input.yaml");
            Files.writeString(config, "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', "
                    + "topics: {input: never-written}}\n"
                    + "endpoints: {openai: {api-keys: [it-key]}}\n");
            assertThatThrownBy(() -> flinkRun(config))
                    .hasRootCauseMessage("the input topic 'never-written' (kafka.topics.input) does not exist on "
                            + kafka.bootstrapServers());
            assertThat(cluster.listJobs().get()).as("jobs submitted").hasSize(jobsBefore);
        }
    }

    /** The program's main in the packaged jar, submitting to the test's cluster and waiting for the job. */
    private static void flinkRun(Path config) throws Exception {
        PackagedProgram program = PackagedProgram.newBuilder()
                .setJarFile(new File("target/llmstream-job.jar"))
                .setArguments("--config", "conf/llmstream.yaml", "--config", config.toString())
                .setConfiguration(classLoading())
                .build();
        Configuration client = new Configuration(FLINK.getClientConfiguration());
        client.addAll(classLoading());
        client.set(DeploymentOptions.TARGET, RemoteExecutor.NAME);
        client.set(DeploymentOptions.ATTACHED, true);
        ClientUtils.executeProgram(new DefaultExecutorServiceLoader(), client, program, false, false);
    }
}
