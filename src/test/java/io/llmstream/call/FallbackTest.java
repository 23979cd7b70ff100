package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Fallback models in the async operator's harness, against mocks over real sockets. */
class FallbackTest {
    private static final String RETRIES = "call: {retry: {max-attempts: 3, initial-backoff: 10ms, max-backoff: 20ms}}";

    private static List<CallResult> call(LlmStreamConfig config, String model, List<String> prompts) throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<ParsedInput, CallResult>(
                CallStageHarness.factory(new ChatCompletionFunction(config), 60_000, 100, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()))) {
            harness.open();
            for (int i = 0; i < prompts.size(); i++) {
                String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompts.get(i) + "\"}]}";
                LlmRequest request = new LlmRequest("f" + i, model, 0, body, null, prompts.get(i).length() / 2, 20,
                        "{}", 2, 0, null);
                harness.processElement(new StreamRecord<>(ParsedInput.valid(request)));
            }
            harness.endInput();
            List<CallResult> results = new ArrayList<>();
            for (Object element : harness.getOutput()) {
                if (element instanceof StreamRecord) {
                    results.add((CallResult) ((StreamRecord<?>) element).getValue());
                }
            }
            return results;
        }
    }

    private static LlmStreamConfig oneMock(MockLlmServer mock, String models) {
        return TestConfigs.withEndpoint(mock.baseUrl(), models, RETRIES);
    }

    @Test
    void fallsBackWhenThePrimaryIsOutOfQuota() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            LlmStreamConfig config = oneMock(mock, "models: {m1: {endpoint: mock, fallbacks: [m2]}, m2: {endpoint: mock}}");

            Completion completion = call(config, "m1", List.of("[[mock:insufficient_quota]] spend")).get(0).completion();

            assertThat(completion.model()).isEqualTo("m2");
            assertThat(completion.fallbackFrom()).isEqualTo("m1");
            assertThat(completion.fallbackReason()).isEqualTo("quota_exceeded");
            assertThat(completion.attempts()).isEqualTo(2);
            assertThat(mock.stats().keyModel("test-key", "m2").admitted()).isEqualTo(1);
        }
    }

    @Test
    void sendsAPromptThatCannotFitStraightToAModelWithALargerContext() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            LlmStreamConfig config = oneMock(mock, "models: {m1: {endpoint: mock, context-window: 30, fallbacks: [m2, m3]},"
                    + " m2: {endpoint: mock, context-window: 40}, m3: {endpoint: mock, context-window: 4000}}");
            String prompt = "a long prompt that does not fit in thirty tokens ".repeat(3);

            Completion completion = call(config, "m1", List.of(prompt)).get(0).completion();

            assertThat(completion.model()).isEqualTo("m3");
            assertThat(completion.fallbackReason()).isEqualTo("context_length_exceeded");
            assertThat(completion.content()).isEqualTo(MockAnswers.contentFor(prompt));
            assertThat(mock.stats().keyModel("test-key", "m1").requests()).isZero();
        }
    }

    @Test
    void fallsBackWhenTheProviderSaysThePromptIsTooLong() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            LlmStreamConfig config = oneMock(mock, "models: {m1: {endpoint: mock, fallbacks: [m2]},"
                    + " m2: {endpoint: mock, context-window: 128000}}");

            Completion completion = call(config, "m1", List.of("[[mock:context_length_exceeded]] big")).get(0)
                    .completion();

            assertThat(completion.model()).isEqualTo("m2");
            assertThat(completion.fallbackReason()).isEqualTo("context_length_exceeded");
        }
    }

    @Test
    void deadLettersWhenNoFallbackSuits() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            LlmStreamConfig config = oneMock(mock, "models: {m1: {endpoint: mock, fallbacks: [m2]}, m2: {endpoint: mock}}");

            CallResult result = call(config, "m1", List.of("[[mock:context_length_exceeded]] huge")).get(0);

            assertThat(result.deadLetter().kind()).as("m2 has no larger context-window configured")
                    .isEqualTo(ErrorKind.CONTEXT_LENGTH_EXCEEDED);
            assertThat(result.deadLetter().model()).isEqualTo("m1");
        }
    }

    @Test
    void movesRequestsToTheFallbackWhileThePrimarysCircuitIsOpen() throws Exception {
        try (MockLlmServer broken = MockLlmServer.start(MockOptions.builder().port(0).errorRate(1.0).build());
                MockLlmServer healthy = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(broken.baseUrl(),
                    "endpoints: {backup: {base-url: '" + healthy.baseUrl() + "', api-keys: [backup-key]}}",
                    "models: {m1: {endpoint: mock, fallbacks: [m2]}, m2: {endpoint: backup}}",
                    "call: {breaker: {minimum-calls: 3, failure-rate: 0.5, open-for: 10s}}", RETRIES);
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                prompts.add("circuit " + i);
            }

            List<CallResult> results = call(config, "m1", prompts);

            assertThat(results).allSatisfy(result -> {
                assertThat(result.completion()).isNotNull();
                assertThat(result.completion().model()).isEqualTo("m2");
                assertThat(result.completion().fallbackReason()).isEqualTo("circuit_open");
            });
            // At least the three failures that open the circuit; at most the ten first attempts and one retry
            // for each of the two failures recorded before the third opened it. Without the breaker, the
            // primary would see three attempts for each of the ten prompts.
            assertThat(broken.stats().requests()).as("the primary got no more once its circuit opened")
                    .isBetween(3L, 12L);
        }
    }
}
