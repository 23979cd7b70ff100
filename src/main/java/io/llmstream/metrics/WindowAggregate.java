package io.llmstream.metrics;

import io.llmstream.record.MetricEvent;
import org.apache.flink.api.common.functions.AggregateFunction;

/** Folds metric events into a {@link WindowAccumulator}, incrementally, one per model and window. */
public final class WindowAggregate implements AggregateFunction<MetricEvent, WindowAccumulator, WindowAccumulator> {
    private static final long serialVersionUID = 1L;

    @Override
    public WindowAccumulator createAccumulator() {
        return new WindowAccumulator();
    }

    @Override
    public WindowAccumulator add(MetricEvent event, WindowAccumulator accumulator) {
        accumulator.add(event);
        return accumulator;
    }

    @Override
    public WindowAccumulator getResult(WindowAccumulator accumulator) {
        return accumulator;
    }

    @Override
    public WindowAccumulator merge(WindowAccumulator a, WindowAccumulator b) {
        a.merge(b);
        return a;
    }
}
