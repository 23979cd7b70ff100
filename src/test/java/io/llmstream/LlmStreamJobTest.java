package io.llmstream;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.WindowMetrics;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole pipeline on a MiniCluster against the mock over real sockets; input and outputs in memory. */
class LlmStreamJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(1).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static InputRecord input(long offset, String value) {
        return new InputRecord("prompts", 0, offset, 0, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyPromptEndsAsOneCompletionOrOneDeadLetter() throws Exception {
        LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 60000}, m2: {endpoint: mock, tpm: 10000000}}",
                "call: {retry: {initial-backoff: 20ms}}\njob: {parallelism: 2}\nmetrics: {window: 1s}");
        List<InputRecord> inputs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String model = i % 3 == 0 ? ", \"model\": \"m2\"" : "";
            inputs.add(input(i, "{\"id\": \"p-" + i + "\", \"prompt\": \"Question number " + i + "\""
                    + model + ", \"metadata\": {\"n\": " + i + "}}"));
        }
        inputs.add(input(300, "{\"id\": \"bad-json\", \"prompt\": "));
        inputs.add(input(301, "{\"id\": \"bad-model\", \"prompt\": \"x\", \"model\": \"nope\"}"));
        inputs.add(input(302, "{\"id\": \"retried\", \"prompt\": \"[[mock:500x2]] flaky\"}"));
        inputs.add(input(303, "{\"id\": \"refused\", \"prompt\": \"[[mock:400]] refused\"}"));
        inputs.add(input(304, "{\"id\": \"throttled\", \"prompt\": \"[[mock:429(retry-after-ms=50)]] slow down\"}"));

        Result result = run(config, inputs);

        Map<String, Completion> completions = byId(result.completions, Completion::id);
        Map<String, DeadLetter> deadLetters = byId(result.deadLetters, DeadLetter::id);
        assertThat(result.completions.size() + result.deadLetters.size()).isEqualTo(inputs.size());
        assertThat(completions.keySet()).doesNotContainAnyElementsOf(deadLetters.keySet());
        for (int i = 0; i < 300; i++) {
            Completion completion = completions.get("p-" + i);
            assertThat(completion).as("p-" + i).isNotNull();
            assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("Question number " + i));
            assertThat(completion.model()).isEqualTo(i % 3 == 0 ? "m2" : "m1");
            assertThat(completion.metadata()).isEqualTo("{\"n\":" + i + "}");
            assertThat(completion.completionTokens()).isPositive();
        }
        assertThat(deadLetters.get("prompts-0-300").kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(deadLetters.get("bad-model").kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(completions.get("retried").attempts()).isEqualTo(3);
        assertThat(completions.get("throttled").attempts()).isEqualTo(2);
        DeadLetter refused = deadLetters.get("refused");
        assertThat(refused.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.attempts()).isEqualTo(1);
        assertThat(refused.keyId()).isEqualTo("mock#1");
        assertThat(refused.input()).contains("[[mock:400]] refused");

        long windowedRequests = result.metrics.stream().mapToLong(WindowMetrics::requests).sum();
        long windowedSuccesses = result.metrics.stream().mapToLong(WindowMetrics::succeeded).sum();
        long windowedRateLimited = result.metrics.stream().mapToLong(WindowMetrics::rateLimitedResponses).sum();
        assertThat(windowedRequests).isEqualTo(303);
        assertThat(windowedSuccesses).isEqualTo(302);
        assertThat(windowedRateLimited).isEqualTo(1);
        assertThat(result.metrics).extracting(WindowMetrics::model).containsOnly("m1", "m2");
    }

    @Test
    void aBoundedJobToleratesCheckpointsItsTailCannotCompleteAndAnUnboundedOneDoesNot() {
        // The tail of a bounded run completes no checkpoint while prompts wait for budget: a finished source
        // instance sends no barrier, and its end of input waits in the exchange behind them.
        assertThat(tolerableCheckpointFailures("job: {bounded: true}")).isEqualTo(Integer.MAX_VALUE);
        assertThat(tolerableCheckpointFailures("job: {bounded: false}")).isZero();
    }

    private static int tolerableCheckpointFailures(String jobSection) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new LlmStreamJob(TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock}}", jobSection))
                .configure(env);
        return env.getCheckpointConfig().getTolerableCheckpointFailureNumber();
    }

    private record Result(List<Completion> completions, List<DeadLetter> deadLetters, List<WindowMetrics> metrics) {}

    private static Result run(LlmStreamConfig config, List<InputRecord> inputs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        LlmStreamJob job = new LlmStreamJob(config);
        job.configure(env);
        CollectingSink<Completion> completions = new CollectingSink<>();
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
        CollectingSink<WindowMetrics> metrics = new CollectingSink<>();
        job.build(env.fromData(inputs), new LlmStreamJob.Sinks(completions, deadLetters, metrics));
        env.execute("llmstream-test");
        return new Result(completions.received(), deadLetters.received(), metrics.received());
    }

    private static <T> Map<String, T> byId(List<T> records, Function<T, String> id) {
        Map<String, List<T>> grouped = records.stream().collect(Collectors.groupingBy(id));
        grouped.forEach((key, group) -> assertThat(group).as("records with id " + key).hasSize(1));
        Map<String, T> unique = new HashMap<>();
        grouped.forEach((key, group) -> unique.put(key, group.get(0)));
        return unique;
    }
}
