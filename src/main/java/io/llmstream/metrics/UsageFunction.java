package io.llmstream.metrics;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.UsageRecord;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns one tenant's, model's and lane's finished window into a line of the usage ledger. */
public final class UsageFunction extends ProcessWindowFunction<WindowAccumulator, UsageRecord, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;

    public UsageFunction(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void process(String key, Context context, Iterable<WindowAccumulator> elements, Collector<UsageRecord> out) {
        String[] parts = key.split("\u0000", 3);
        WindowAccumulator totals = elements.iterator().next();
        ModelSettings model = config.models().get(parts[1]);
        double cost = WindowMetricsFunction.cost(model == null ? null : model.price(), totals);
        out.collect(new UsageRecord(parts[0], parts[1], context.window().getStart(), context.window().getEnd(),
                totals.attempts, totals.requests, totals.promptTokens, totals.completionTokens, cost,
                totals.cacheHits, totals.failed(), spendLimited(totals), parts[2]));
    }

    private static long spendLimited(WindowAccumulator totals) {
        int kind = ErrorKind.SPEND_LIMIT.ordinal();
        return kind < totals.errorsByKind.length ? totals.errorsByKind[kind] : 0;
    }
}
