package io.llmstream.route;

import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.RecordJson;
import io.llmstream.record.RecordSize;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResultRouterTest {
    private static final int MIB = 1_048_576;
    private static final String INPUT = "{\"id\": \"r-1\", \"prompt\": \"Tell me everything\"}";

    @Test
    void passesACompletionThatFits() throws Exception {
        try (var harness = harness(MIB)) {
            Completion completion = completion("a short answer", null);
            harness.processElement(new StreamRecord<>(CallResult.success(request(), completion, metric())));

            assertThat(harness.extractOutputValues()).containsExactly(completion);
            assertThat(deadLetters(harness)).isEmpty();
            assertThat(metricEvents(harness)).containsExactly(metric());
            assertThat(counter(harness, ResultRouter.COMPLETIONS_COUNTER)).isEqualTo(1);
            assertThat(counter(harness, ResultRouter.DEAD_LETTERS_COUNTER)).isZero();
        }
    }

    @Test
    void deadLettersACompletionTooLargeForARecord() throws Exception {
        try (var harness = harness(MIB)) {
            Completion completion = completion("x".repeat(2 * MIB), null);
            harness.processElement(new StreamRecord<>(CallResult.success(request(), completion, metric())));

            assertThat(harness.extractOutputValues()).isEmpty();
            List<DeadLetter> deadLetters = deadLetters(harness);
            assertThat(deadLetters).hasSize(1);
            DeadLetter deadLetter = deadLetters.get(0);
            long recordBytes = RecordSize.of(3, RecordJson.completion(completion).length, 0);
            assertThat(recordBytes).isGreaterThan(2L * MIB);
            assertThat(deadLetter.kind()).isEqualTo(ErrorKind.OUTPUT_TOO_LARGE);
            assertThat(deadLetter.outputBytes()).isEqualTo(recordBytes);
            assertThat(deadLetter.message()).isEqualTo(String.format("the completion is %,d bytes, more than the "
                    + "1,048,576 bytes a record may have (kafka.properties.max.request.size)", recordBytes));
            assertThat(deadLetter.id()).isEqualTo("r-1");
            assertThat(deadLetter.model()).isEqualTo("m1");
            assertThat(deadLetter.keyId()).isEqualTo("mock#2");
            assertThat(deadLetter.attempts()).isEqualTo(2);
            assertThat(deadLetter.elapsedMs()).isEqualTo(340);
            assertThat(deadLetter.status()).isZero();
            assertThat(deadLetter.input()).isEqualTo(INPUT);
            assertThat(deadLetter.inputBytes()).isEqualTo(INPUT.length());
            assertThat(deadLetter.inputTruncated()).isFalse();
            assertThat(deadLetter.source()).isEqualTo(new SourcePosition("prompts", 1, 17));

            MetricEvent event = metricEvents(harness).get(0);
            assertThat(event.errorKind()).isEqualTo(ErrorKind.OUTPUT_TOO_LARGE);
            assertThat(event.succeeded()).isFalse();
            assertThat(event.promptTokens()).as("tokens were spent").isEqualTo(12);
            assertThat(event.completionTokens()).isEqualTo(400_000);
            assertThat(counter(harness, ResultRouter.COMPLETIONS_COUNTER)).isZero();
            assertThat(counter(harness, ResultRouter.DEAD_LETTERS_COUNTER)).isEqualTo(1);
        }
    }

    @Test
    void countsTheMetadataAndTheKeyAgainstTheBound() throws Exception {
        try (var harness = harness(64 * 1024)) {
            Completion completion = completion("short", "{\"blob\": \"" + "\u4e2d".repeat(30_000) + "\"}");
            harness.processElement(new StreamRecord<>(CallResult.success(request(), completion, metric())));

            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(deadLetters(harness)).extracting(DeadLetter::outputBytes)
                    .containsExactly((long) RecordSize.of(3, RecordJson.completion(completion).length, 0));
        }
    }

    @Test
    void writesACompletionOfExactlyTheBound() throws Exception {
        int bound = 64 * 1024;
        long emptySize = RecordSize.of(3, RecordJson.completion(completion("", null)).length, 0);
        Completion exact = completion("y".repeat((int) (bound - emptySize)), null);
        Completion oneMore = completion("y".repeat((int) (bound - emptySize + 1)), null);
        try (var harness = harness(bound)) {
            harness.processElement(new StreamRecord<>(CallResult.success(request(), exact, metric())));
            harness.processElement(new StreamRecord<>(CallResult.success(request(), oneMore, metric())));

            assertThat(harness.extractOutputValues()).containsExactly(exact);
            assertThat(deadLetters(harness)).extracting(DeadLetter::outputBytes).containsExactly(bound + 1L);
        }
    }

    @Test
    void countsAnEmbeddingsVectorAgainstTheBound() throws Exception {
        try (var harness = harness(64 * 1024)) {
            Completion vector = new Completion("r-1", "emb", null, null, null, 12, 0, 12, 1, 80, 0, -1, null, null,
                    null, "[" + "0.123456789,".repeat(8_000) + "0.5]", false);
            harness.processElement(new StreamRecord<>(CallResult.success(request(), vector, metric())));

            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(deadLetters(harness)).extracting(DeadLetter::outputBytes)
                    .containsExactly((long) RecordSize.of(3, RecordJson.completion(vector).length, 0));
        }
    }

    @Test
    void passesFailedCallsOnUnchanged() throws Exception {
        try (var harness = harness(MIB)) {
            DeadLetter failed = DeadLetter.failedRequest(request(), ErrorKind.SERVER_ERROR, 503, null, "HTTP 503",
                    3, "m1", "mock#1", 900);
            MetricEvent event = new MetricEvent("m1", "mock#1", ErrorKind.SERVER_ERROR, 3, 900, 0, 0, 0, 50, 0, false,
                    30, -1);
            harness.processElement(new StreamRecord<>(CallResult.failure(request(), failed, event)));

            assertThat(deadLetters(harness)).containsExactly(failed);
            assertThat(metricEvents(harness)).containsExactly(event);
            assertThat(counter(harness, ResultRouter.DEAD_LETTERS_COUNTER)).isEqualTo(1);
        }
    }

    private static OneInputStreamOperatorTestHarness<CallResult, Completion> harness(int bound) throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<CallResult, Completion>(
                new ProcessOperator<>(new ResultRouter(bound)));
        harness.open();
        return harness;
    }

    private static LlmRequest request() {
        return new LlmRequest("r-1", "m1", 0, "{}", null, 12, 0, INPUT,
                INPUT.getBytes(StandardCharsets.UTF_8).length, 0, new SourcePosition("prompts", 1, 17));
    }

    private static Completion completion(String content, String metadata) {
        return new Completion("r-1", "m1", content, "stop", null, 12, 400_000, 400_012, 2, 340, 25, 80, null, null,
                metadata);
    }

    private static MetricEvent metric() {
        return new MetricEvent("m1", "mock#2", null, 2, 340, 25, 12, 400_000, 50, 0, false, 120, 80);
    }

    private static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<CallResult, Completion> harness) {
        return harness.getSideOutput(ResultRouter.DEAD_LETTERS) == null ? List.of()
                : harness.getSideOutput(ResultRouter.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
    }

    private static List<MetricEvent> metricEvents(OneInputStreamOperatorTestHarness<CallResult, Completion> harness) {
        return harness.getSideOutput(ResultRouter.METRIC_EVENTS).stream().map(StreamRecord::getValue).toList();
    }

    private static long counter(OneInputStreamOperatorTestHarness<CallResult, Completion> harness, String name) {
        var accumulator = harness.getEnvironment().getAccumulatorRegistry().getUserMap().get(name);
        return accumulator == null ? 0 : (Long) accumulator.getLocalValue();
    }
}
