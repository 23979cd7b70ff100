package io.llmstream.route;

import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.MetricEvent;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
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

    /** Job accumulator: completions written. */
    public static final String COMPLETIONS_COUNTER = "llmstream-completions";
    /** Job accumulator: failed calls written as dead letters. */
    public static final String DEAD_LETTERS_COUNTER = "llmstream-failed-calls";

    private transient LongCounter completionsWritten;
    private transient LongCounter deadLettersWritten;
    private transient RouteMetrics metrics;

    @Override
    public void open(OpenContext openContext) {
        completionsWritten = getRuntimeContext().getLongCounter(COMPLETIONS_COUNTER);
        deadLettersWritten = getRuntimeContext().getLongCounter(DEAD_LETTERS_COUNTER);
        metrics = new RouteMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(CallResult result, Context ctx, Collector<Completion> out) {
        if (result.completion() != null) {
            out.collect(result.completion());
            completionsWritten.add(1);
        } else {
            ctx.output(DEAD_LETTERS, result.deadLetter());
            deadLettersWritten.add(1);
        }
        ctx.output(METRIC_EVENTS, result.metric());
        metrics.record(result.metric());
    }
}
