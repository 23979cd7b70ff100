package io.llmstream.parse;

import io.llmstream.TestConfigs;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.InputRecord;
import io.llmstream.record.LlmRequest;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ParseFunctionTest {

    @Test
    void sendsValidPromptsOnAndInvalidOnesToTheSideOutput() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<InputRecord, LlmRequest>(
                new ProcessOperator<>(new ParseFunction(TestConfigs.offline())))) {
            harness.setProcessingTime(5000);
            harness.open();

            harness.processElement(new StreamRecord<>(input(0, "{\"id\": \"ok\", \"prompt\": \"hi\"}")));
            harness.processElement(new StreamRecord<>(input(1, "{oops")));
            harness.processElement(new StreamRecord<>(input(2, null)));

            assertThat(harness.extractOutputValues()).extracting(LlmRequest::id).containsExactly("ok");
            assertThat(harness.extractOutputValues().get(0).receivedAtMillis()).isEqualTo(5000);
            assertThat(harness.getSideOutput(ParseFunction.INVALID)).extracting(record -> record.getValue())
                    .extracting(DeadLetter::id).containsExactly("prompts-0-1", "prompts-0-2");
        }
    }

    private static InputRecord input(long offset, String value) {
        return new InputRecord("prompts", 0, offset, 0, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
