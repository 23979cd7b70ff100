package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.CallResult;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With tenants the source leaves the token estimate to the call stage: the stage estimates what it takes, charges
 * the estimate, and refuses there a prompt that could never fit its model's TPM limit, without sending it.
 */
class LateEstimateTest {

    @Test
    void theStageEstimatesWhatASourceLeftUnestimatedAndRefusesWhatCouldNeverFit() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(5).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(),
                    "models: {m1: {endpoint: mock, tpm: 1000, default-max-tokens: 100}}",
                    "call: {timeout: 5s, attempt-timeout: 1s}", "tenants: {team-a: {weight: 1}}");
            PromptParser later = new PromptParser(config, true);
            ParsedInput fits = later.parse(record(0, "{\"id\": \"fits\", \"prompt\": \"What is Flink?\"}"), 0);
            ParsedInput tooBig = later.parse(record(1,
                    "{\"id\": \"too-big\", \"prompt\": \"hello\", \"max_tokens\": 995}"), 0);
            assertThat(fits.request().isEstimated()).isFalse();
            assertThat(tooBig.isValid()).as("valid until estimated").isTrue();

            List<CallResult> results = call(config, fits, tooBig);

            assertThat(results).hasSize(2);
            CallResult answered = results.stream().filter(r -> r.completion() != null).findFirst().orElseThrow();
            assertThat(answered.completion().id()).isEqualTo("fits");
            CallResult refused = results.stream().filter(r -> r.deadLetter() != null).findFirst().orElseThrow();
            assertThat(refused.deadLetter().id()).isEqualTo("too-big");
            assertThat(refused.deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
            assertThat(refused.deadLetter().message()).contains("more than models.m1.tpm (1000), so it could never "
                    + "be sent");
            assertThat(mock.stats().requests()).as("only the prompt that fits was sent").isEqualTo(1);
        }
    }

    private static InputRecord record(long offset, String value) {
        return new InputRecord("prompts", 0, offset, 0, value.getBytes(StandardCharsets.UTF_8));
    }

    private static List<CallResult> call(LlmStreamConfig config, ParsedInput... inputs) throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<ParsedInput, CallResult>(
                CallStageHarness.factory(new ChatCompletionFunction(config), 60_000, 10,
                        AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()))) {
            harness.open();
            for (ParsedInput input : inputs) {
                harness.processElement(new StreamRecord<>(input, 0));
            }
            harness.endInput();
            List<CallResult> results = new ArrayList<>();
            for (Object element : harness.getOutput()) {
                if (element instanceof StreamRecord<?> record) {
                    results.add((CallResult) record.getValue());
                }
            }
            return results;
        }
    }
}
