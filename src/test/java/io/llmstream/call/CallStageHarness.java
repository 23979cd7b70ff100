package io.llmstream.call;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.CallResult;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import io.llmstream.record.SourcePosition;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import java.util.ArrayList;
import java.util.List;

/** The call stage in Flink's async operator harness, and the requests the tests send through it. */
final class CallStageHarness {
    private CallStageHarness() {}

    /** An opened harness around the call stage, as {@code AsyncDataStream} builds it. */
    static OneInputStreamOperatorTestHarness<PacedRequest, CallResult> open(LlmStreamConfig config, long timeoutMs,
            int capacity, AsyncDataStream.OutputMode mode) throws Exception {
        OneInputStreamOperatorTestHarness<PacedRequest, CallResult> harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(new ChatCompletionFunction(config), timeoutMs, capacity, mode),
                TypeInformation.of(PacedRequest.class).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    /**
     * Sends the requests, waits for all of them (endInput drains the operator) and returns the results in
     * the order the operator emitted them.
     */
    static List<CallResult> run(LlmStreamConfig config, long timeoutMs, int capacity, AsyncDataStream.OutputMode mode,
            List<PacedRequest> requests) throws Exception {
        try (var harness = open(config, timeoutMs, capacity, mode)) {
            for (PacedRequest request : requests) {
                harness.processElement(new StreamRecord<>(request, 0));
            }
            harness.endInput();
            return results(harness);
        }
    }

    static List<CallResult> results(OneInputStreamOperatorTestHarness<PacedRequest, CallResult> harness) {
        List<CallResult> results = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord) {
                results.add((CallResult) ((StreamRecord<?>) element).getValue());
            }
        }
        return results;
    }

    /** The dispatcher of a model's shard 0 in the harness's call stage (its one instance holds every shard). */
    static io.llmstream.limit.ModelDispatcher dispatcher(OneInputStreamOperatorTestHarness<PacedRequest, CallResult> harness,
            String model) {
        return function(harness).budgets().dispatcher(model, 0);
    }

    /** The harness's call-stage function. */
    @SuppressWarnings("unchecked")
    static ChatCompletionFunction function(OneInputStreamOperatorTestHarness<PacedRequest, CallResult> harness) {
        return (ChatCompletionFunction) ((org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator<CallResult, ?>)
                harness.getOperator()).getUserFunction();
    }

    /** A request of model m1 with one user message, paced now. */
    static PacedRequest paced(String id, String prompt) {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}]}";
        String input = "{\"prompt\": \"" + prompt + "\"}";
        LlmRequest request = new LlmRequest(id, "m1", 0, body, null, 10, 0, input, input.length(),
                System.currentTimeMillis(), new SourcePosition("prompts", 0, 7));
        return new PacedRequest(request, 0, System.currentTimeMillis());
    }
}
