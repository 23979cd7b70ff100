package io.llmstream.route;

import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.MetricEvent;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** The route stage: completions go on, dead letters and metric events to side outputs. */
public final class ResultRouter extends ProcessFunction<CallResult, Completion> {
    private static final long serialVersionUID = 1L;

    /** Prompts that could not be completed. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};
    /** One event per finished call. */
    public static final OutputTag<MetricEvent> METRIC_EVENTS = new OutputTag<>("metric-events") {};

    @Override
    public void processElement(CallResult result, Context ctx, Collector<Completion> out) {
        if (result.completion() != null) {
            out.collect(result.completion());
        } else {
            ctx.output(DEAD_LETTERS, result.deadLetter());
        }
        ctx.output(METRIC_EVENTS, result.metric());
    }
}
