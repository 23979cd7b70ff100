package io.llmstream.call;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.CallResult;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import java.util.ArrayList;
import java.util.List;

/** The call stage in Flink's async operator harness, and the requests the tests send through it. */
final class CallStageHarness {
    private CallStageHarness() {}

    /** The call stage's operator around a function, ordered or not as Flink's async modes say. */
    static CallStageOperatorFactory<ParsedInput, CallResult> factory(ChatCompletionFunction function, long timeoutMs,
            int capacity, AsyncDataStream.OutputMode mode) {
        return new CallStageOperatorFactory<>(function, capacity, timeoutMs, 0,
                mode == AsyncDataStream.OutputMode.ORDERED, ParsedInput::madeAtMillis);
    }

    /** An opened harness around the call stage, as the job builds it. */
    static OneInputStreamOperatorTestHarness<ParsedInput, CallResult> open(LlmStreamConfig config, long timeoutMs,
            int capacity, AsyncDataStream.OutputMode mode) throws Exception {
        OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness = new OneInputStreamOperatorTestHarness<>(
                CallStageHarness.factory(new ChatCompletionFunction(config), timeoutMs, capacity, mode),
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    /**
     * Sends the requests, waits for all of them (endInput drains the operator) and returns the results in
     * the order the operator emitted them.
     */
    static List<CallResult> run(LlmStreamConfig config, long timeoutMs, int capacity, AsyncDataStream.OutputMode mode,
            List<ParsedInput> requests) throws Exception {
        try (var harness = open(config, timeoutMs, capacity, mode)) {
            for (ParsedInput request : requests) {
                harness.processElement(new StreamRecord<>(request, 0));
            }
            harness.endInput();
            return results(harness);
        }
    }

    static List<CallResult> results(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness) {
        List<CallResult> results = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord) {
                results.add((CallResult) ((StreamRecord<?>) element).getValue());
            }
        }
        return results;
    }

    /** The dispatcher of a model's shard 0 in the harness's call stage (its one instance holds every shard). */
    static io.llmstream.limit.ModelDispatcher dispatcher(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness,
            String model) {
        return function(harness).budgets().dispatcher(model, 0);
    }

    /** The harness's call-stage function. */
    @SuppressWarnings("unchecked")
    static ChatCompletionFunction function(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness) {
        return (ChatCompletionFunction) ((org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator<CallResult, ?>)
                harness.getOperator()).getUserFunction();
    }

    /** A request of model m1 with one user message, queued now. */
    static ParsedInput queued(String id, String prompt) {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}]}";
        String input = "{\"prompt\": \"" + prompt + "\"}";
        LlmRequest request = new LlmRequest(id, "m1", 0, body, null, 10, 0, input, input.length(),
                System.currentTimeMillis(), new SourcePosition("prompts", 0, 7));
        return ParsedInput.valid(request);
    }
}
