package io.llmstream.route;

import io.llmstream.TestConfigs;
import io.llmstream.config.RecordsSettings;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The route stage with {@code records.output: enrich}: completions carry their input, measured as enriched. */
class EnrichRouteTest {
    private static final RecordsSettings ENRICH = TestConfigs.offline(
            "records: {template: {prompt: '{{text}}'}, output: enrich, field: analysis}").records();

    private static OneInputStreamOperatorTestHarness<CallResult, Completion> harness(int bound) throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<CallResult, Completion>(
                new ProcessOperator<>(new ResultRouter(bound, ENRICH)));
        harness.open();
        return harness;
    }

    private static CallResult result(String input, String content) {
        LlmRequest request = new LlmRequest("r-1", "m1", 0, "{}", null, 12, 0, input,
                input.getBytes(StandardCharsets.UTF_8).length, 0, new SourcePosition("reviews", 0, 5));
        Completion completion = new Completion("r-1", "m1", content, "stop", null, 12, 3, 15, 1, 40, 0, -1, null,
                null, null);
        return CallResult.success(request, completion,
                new MetricEvent("m1", "mock#1", null, 1, 40, 0, 12, 3, 50, 0, false, 30, -1));
    }

    @Test
    void aCompletionCarriesTheInputItEnriches() throws Exception {
        String input = "{\"text\": \"fine\", \"stars\": 4}";
        try (var harness = harness(1024 * 1024)) {
            harness.processElement(new StreamRecord<>(result(input, "Positive.")));

            Completion out = harness.extractOutputValues().get(0);
            assertThat(out.input()).isSameAs(input);
            assertThat(out.content()).isEqualTo("Positive.");
        }
    }

    @Test
    void anEnrichedRecordTooLargeForKafkaIsAnOutputTooLargeDeadLetter() throws Exception {
        int bound = 16 * 1024;
        // The answer alone fits; with the input record around it, it does not.
        String input = "{\"text\": \"" + "x".repeat(9_000) + "\"}";
        try (var harness = harness(bound)) {
            harness.processElement(new StreamRecord<>(result(input, "y".repeat(8_000))));

            assertThat(harness.extractOutputValues()).isEmpty();
            DeadLetter letter = harness.getSideOutput(ResultRouter.DEAD_LETTERS).peek().getValue();
            assertThat(letter.kind()).isEqualTo(ErrorKind.OUTPUT_TOO_LARGE);
            assertThat(letter.outputBytes()).isGreaterThan(bound);
            assertThat(letter.message()).startsWith("the enriched record is ");
            assertThat(letter.input()).isEqualTo(input);
        }
    }
}
