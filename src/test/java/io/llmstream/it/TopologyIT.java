package io.llmstream.it;

import io.llmstream.CollectingSink;
import io.llmstream.LlmStreamJob;
import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.InputRecord;
import io.llmstream.record.WindowMetrics;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits hold in any topology Flink allows, because nothing but the stream's partitioning by budget shard
 * decides which call stage instance spends which shard: chaining off, the call stage in a slot-sharing group
 * of its own, a call stage of another parallelism than the rest of the job.
 */
class TopologyIT {
    private static final int PROMPTS = 600;
    private static final int RPM = 6000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(2).build());

    private static List<InputRecord> prompts() {
        List<InputRecord> inputs = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            inputs.add(new InputRecord("prompts", 0, i, 0, ("{\"id\": \"t-" + i + "\", \"prompt\": \"Topology " + i
                    + "\", \"max_tokens\": 64}").getBytes(StandardCharsets.UTF_8)));
        }
        return inputs;
    }

    private static Transformation<?> callStage(StreamExecutionEnvironment env) {
        for (Transformation<?> transformation : env.getTransformations()) {
            for (Transformation<?> candidate : transformation.getTransitivePredecessors()) {
                if ("call LLM API".equals(candidate.getName())) {
                    return candidate;
                }
            }
        }
        throw new AssertionError("no call stage in the job");
    }

    @Test
    void holdsTheLimitsWithChainingOffAndTheCallStageInASlotSharingGroupOfItsOwn() throws Exception {
        runAndCheck(env -> {
            env.disableOperatorChaining();
            callStage(env).setSlotSharingGroup("calls");
        });
    }

    @Test
    void holdsTheLimitsWithACallStageOfAnotherParallelism() throws Exception {
        // The shards' keys were salted for two instances; three still own each shard exactly once.
        runAndCheck(env -> callStage(env).setParallelism(3));
    }

    private static void runAndCheck(java.util.function.Consumer<StreamExecutionEnvironment> topology)
            throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(4)
                .limit("*", "m1", RPM, 10_000_000).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: " + RPM + "}}", "job: {parallelism: 2}");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            LlmStreamJob job = new LlmStreamJob(config);
            job.configure(env);
            CollectingSink<Completion> completions = new CollectingSink<>();
            CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
            job.build(env.fromData(prompts()), new LlmStreamJob.Sinks(completions, deadLetters,
                    new CollectingSink<WindowMetrics>()));
            topology.accept(env);

            env.execute("llmstream-topology-it");

            Set<String> ids = new HashSet<>();
            for (Completion completion : completions.received()) {
                assertThat(ids.add(completion.id())).as("duplicate " + completion.id()).isTrue();
                assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("Topology "
                        + completion.id().substring(2)));
            }
            assertThat(ids).hasSize(PROMPTS);
            assertThat(deadLetters.received()).isEmpty();
            MockStats.KeyModel admitted = mock.stats().keyModel("test-key", "m1");
            assertThat(mock.stats().rateLimited()).as("429s").isZero();
            assertThat(admitted.peakRequests1s()).as("within any second").isLessThanOrEqualTo(2 * RPM / 60);
        }
    }
}
