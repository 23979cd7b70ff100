package io.llmstream.metrics;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.WindowMetrics;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Adds the window's bounds, the percentiles and the use of the model's limits to a finished window. */
public final class WindowMetricsFunction
        extends ProcessWindowFunction<WindowAccumulator, WindowMetrics, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;

    public WindowMetricsFunction(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void process(String model, Context context, Iterable<WindowAccumulator> elements,
            Collector<WindowMetrics> out) {
        WindowAccumulator totals = elements.iterator().next();
        TimeWindow window = context.window();
        out.collect(toMetrics(model, window.getStart(), window.getEnd(), totals, config.models().get(model)));
    }

    /** The record for one window; {@code limits} may be null for a model no longer configured. */
    static WindowMetrics toMetrics(String model, long start, long end, WindowAccumulator totals, ModelSettings limits) {
        double seconds = Math.max(0.001, (end - start) / 1000d);
        double perMinute = 60d / seconds;
        double requestUtilization = limits != null && limits.hasRpmLimit()
                ? totals.requests * perMinute / limits.rpm() : -1;
        double tokenUtilization = limits != null && limits.hasTpmLimit()
                ? totals.chargedTokens * perMinute / limits.tpm() : -1;
        return new WindowMetrics(start, end, model, totals.requests, totals.succeeded, totals.failed(),
                totals.errorsByKind.clone(), totals.attempts, totals.rateLimitedResponses,
                totals.latency.quantile(0.50), totals.latency.quantile(0.95), totals.latency.quantile(0.99),
                totals.latency.max, totals.budgetWait.quantile(0.95),
                totals.promptTokens, totals.completionTokens, totals.chargedTokens,
                totals.requests / seconds, requestUtilization, tokenUtilization);
    }
}
