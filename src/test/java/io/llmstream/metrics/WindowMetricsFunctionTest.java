package io.llmstream.metrics;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.WindowMetrics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The per-model window records: percentiles of merged parts, utilization and cost. */
class WindowMetricsFunctionTest {
    private static final LlmStreamConfig CONFIG = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
            "models: {m1: {endpoint: mock, rpm: 600, tpm: 100000, price: {input: 2.5, output: 10}}, "
                    + "m2: {endpoint: mock}}");

    private static MetricEvent event(long latencyMs, ErrorKind kind, int promptTokens, int completionTokens) {
        return new MetricEvent("m1", "mock#1", kind, 1, latencyMs, 3, promptTokens, completionTokens,
                promptTokens + 100, 0, false, latencyMs, -1);
    }

    private static long exactQuantile(List<Long> values, double quantile) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.ceil(quantile * sorted.size()) - 1);
    }

    @Test
    void theP95OfAWindowMergedFromParallelPartsIsWithinOnePercentOfTheExactP95() {
        Random random = new Random(42);
        WindowAggregate aggregate = new WindowAggregate();
        for (int trial = 0; trial < 20; trial++) {
            // Three parallel parts of one window, each with its own latency distribution.
            List<WindowAccumulator> parts = List.of(aggregate.createAccumulator(), aggregate.createAccumulator(),
                    aggregate.createAccumulator());
            List<Long> all = new ArrayList<>();
            int events = 200 + random.nextInt(5000);
            for (int i = 0; i < events; i++) {
                int part = random.nextInt(parts.size());
                long latency = Math.round(Math.exp(5 + part + random.nextGaussian()));
                all.add(latency);
                aggregate.add(event(latency, null, 10, 10), parts.get(part));
            }
            WindowAccumulator merged = aggregate.merge(aggregate.merge(parts.get(0), parts.get(1)), parts.get(2));

            WindowMetrics metrics = WindowMetricsFunction.toMetrics("m1", 0, 10_000, merged, CONFIG.model("m1"),
                    CONFIG.endpointOf("m1"));

            for (double quantile : new double[] {0.5, 0.95, 0.99}) {
                long exact = exactQuantile(all, quantile);
                long reported = quantile == 0.5 ? metrics.latencyP50Ms()
                        : quantile == 0.95 ? metrics.latencyP95Ms() : metrics.latencyP99Ms();
                assertThat((double) reported).as("p%s of %d events", quantile * 100, events)
                        .isCloseTo(exact, within(Math.max(0.5, exact * 0.01)));
            }
            assertThat(metrics.requests()).isEqualTo(events);
        }
    }

    @Test
    void pricesTheWindowsTokensAndMeasuresUtilizationAgainstTheLimits() {
        WindowAggregate aggregate = new WindowAggregate();
        WindowAccumulator window = aggregate.createAccumulator();
        for (int i = 0; i < 50; i++) {
            aggregate.add(event(100, null, 1000, 200), window);
        }
        aggregate.add(event(100, ErrorKind.SERVER_ERROR, 0, 0), window);

        WindowMetrics metrics = WindowMetricsFunction.toMetrics("m1", 0, 10_000, window, CONFIG.model("m1"),
                CONFIG.endpointOf("m1"));

        // 50,000 prompt tokens at $2.50 and 10,000 completion tokens at $10 per million.
        assertThat(metrics.costUsd()).isCloseTo(0.125 + 0.1, within(1e-9));
        // 51 requests in 10 s is 306 per minute of 600.
        assertThat(metrics.requestUtilization()).isCloseTo(0.51, within(1e-9));
        assertThat(metrics.errorsByKind()[ErrorKind.SERVER_ERROR.ordinal()]).isEqualTo(1);
        assertThat(WindowMetricsFunction.toMetrics("m2", 0, 10_000, window, CONFIG.model("m2"),
                CONFIG.endpointOf("m2")).costUsd()).as("no price configured").isEqualTo(-1);
    }
}
