package io.llmstream.metrics;

import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;

/**
 * The running totals of one model's window. A Flink POJO made of primitives and arrays, so window
 * state never falls back to Kryo.
 */
public final class WindowAccumulator {
    public long requests;
    public long succeeded;
    /** Failures by {@link ErrorKind#ordinal()}; ErrorKind only ever grows at its end. */
    public long[] errorsByKind = new long[ErrorKind.values().length];
    public long attempts;
    public long rateLimitedResponses;
    public long promptTokens;
    public long completionTokens;
    public long chargedTokens;
    public LatencyHistogram latency = new LatencyHistogram();
    public LatencyHistogram budgetWait = new LatencyHistogram();

    public void add(MetricEvent event) {
        requests++;
        if (event.succeeded()) {
            succeeded++;
        } else {
            int kind = event.errorKind().ordinal();
            if (kind >= errorsByKind.length) {
                errorsByKind = java.util.Arrays.copyOf(errorsByKind, ErrorKind.values().length);
            }
            errorsByKind[kind]++;
        }
        attempts += event.attempts();
        rateLimitedResponses += event.rateLimitedResponses();
        promptTokens += event.promptTokens();
        completionTokens += event.completionTokens();
        chargedTokens += event.chargedTokens();
        latency.record(event.latencyMs());
        budgetWait.record(event.waitMs());
    }

    public void merge(WindowAccumulator other) {
        requests += other.requests;
        succeeded += other.succeeded;
        if (other.errorsByKind.length > errorsByKind.length) {
            errorsByKind = java.util.Arrays.copyOf(errorsByKind, other.errorsByKind.length);
        }
        for (int i = 0; i < other.errorsByKind.length; i++) {
            errorsByKind[i] += other.errorsByKind[i];
        }
        attempts += other.attempts;
        rateLimitedResponses += other.rateLimitedResponses;
        promptTokens += other.promptTokens;
        completionTokens += other.completionTokens;
        chargedTokens += other.chargedTokens;
        latency.merge(other.latency);
        budgetWait.merge(other.budgetWait);
    }

    public long failed() {
        return requests - succeeded;
    }
}
