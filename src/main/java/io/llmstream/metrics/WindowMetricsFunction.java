package io.llmstream.metrics;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.PriceSettings;
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
        ModelSettings limits = config.models().get(model);
        out.collect(toMetrics(model, window.getStart(), window.getEnd(), totals, limits,
                limits == null ? null : config.endpointOf(model)));
    }

    /**
     * The record for one window. A model's capacity is the sum of its keys' limits (the model's limits
     * times each key's weight); {@code limits} may be null for a model no longer configured.
     */
    static WindowMetrics toMetrics(String model, long start, long end, WindowAccumulator totals, ModelSettings limits,
            EndpointSettings endpoint) {
        double seconds = Math.max(0.001, (end - start) / 1000d);
        double perMinute = 60d / seconds;
        double totalWeight = 0;
        WindowMetrics.KeyWindow[] keys = new WindowMetrics.KeyWindow[totals.keyIds.length];
        if (endpoint != null) {
            for (ApiKey key : endpoint.apiKeys()) {
                totalWeight += key.weight();
            }
        }
        totalWeight = totalWeight == 0 ? 1 : totalWeight;
        for (int i = 0; i < keys.length; i++) {
            double weight = weightOf(endpoint, totals.keyIds[i]);
            keys[i] = new WindowMetrics.KeyWindow(totals.keyIds[i], totals.keyRequests[i], totals.keyChargedTokens[i],
                    totals.keyRateLimited[i],
                    utilization(totals.keyRequests[i] * perMinute, limits == null ? 0 : limits.rpm() * weight),
                    utilization(totals.keyChargedTokens[i] * perMinute, limits == null ? 0 : limits.tpm() * weight));
        }
        // What the provider's RPM counts: every attempt sent (retries too), a merged request or an embeddings
        // batch once, a cache hit not at all.
        double requestUtilization = utilization(totals.attempts * perMinute,
                limits == null ? 0 : limits.rpm() * totalWeight);
        double tokenUtilization = utilization(totals.chargedTokens * perMinute,
                limits == null ? 0 : limits.tpm() * totalWeight);
        return new WindowMetrics(start, end, model, totals.requests, totals.succeeded, totals.failed(),
                totals.errorsByKind.clone(), totals.attempts, totals.rateLimitedResponses,
                totals.latency.quantile(0.50), totals.latency.quantile(0.95), totals.latency.quantile(0.99),
                totals.latency.max, totals.budgetWait.quantile(0.95),
                firstToken(totals, 0.50), firstToken(totals, 0.95), firstToken(totals, 0.99),
                totals.promptTokens, totals.completionTokens, totals.chargedTokens,
                totals.requests / seconds, requestUtilization, tokenUtilization,
                cost(limits == null ? null : limits.price(), totals), keys, totals.cacheHits, totals.callsSaved,
                limits == null || limits.price() == null
                        ? -1 : limits.price().costOf(totals.promptTokensSaved, totals.completionTokensSaved),
                totals.concurrencyLimit, totals.batchLaneRequests,
                limits == null || limits.price() == null ? -1
                        : limits.price().costOf(totals.batchLanePromptTokens, totals.batchLaneCompletionTokens)
                                - limits.price().batchCostOf(totals.batchLanePromptTokens,
                                        totals.batchLaneCompletionTokens));
    }

    /** The online lane's tokens at the model's price, the batch lane's at the batch price; -1 without a price. */
    static double cost(PriceSettings price, WindowAccumulator totals) {
        if (price == null) {
            return -1;
        }
        return price.costOf(totals.promptTokens - totals.batchLanePromptTokens,
                totals.completionTokens - totals.batchLaneCompletionTokens)
                + price.batchCostOf(totals.batchLanePromptTokens, totals.batchLaneCompletionTokens);
    }

    private static long firstToken(WindowAccumulator totals, double quantile) {
        return totals.firstToken.total == 0 ? -1 : totals.firstToken.quantile(quantile);
    }

    private static double utilization(double perMinute, double limit) {
        return limit > 0 ? perMinute / limit : -1;
    }

    private static double weightOf(EndpointSettings endpoint, String keyId) {
        if (endpoint != null) {
            for (ApiKey key : endpoint.apiKeys()) {
                if (key.id().equals(keyId)) {
                    return key.weight();
                }
            }
        }
        return 1;
    }
}
