package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * One model's aggregates over one window, as read from the metrics topic. Counts that a record lacks
 * are zero; utilization and cost are empty when the record has none (no limit or no price configured).
 *
 * @param errors failed requests by error kind ({@code server_error}, ...), in name order
 * @param costUsd what the window's tokens cost; empty when no price is configured or the writer is older
 */
public record MetricsWindow(
        String model,
        Instant windowStart,
        Instant windowEnd,
        long requests,
        long succeeded,
        long failed,
        Map<String, Long> errors,
        Latency latency,
        long budgetWaitP95Ms,
        Tokens tokens,
        double throughputPerSecond,
        long attempts,
        long rateLimitedResponses,
        OptionalDouble requestUtilization,
        OptionalDouble tokenUtilization,
        OptionalDouble costUsd) {

    public MetricsWindow {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(windowStart, "windowStart");
        Objects.requireNonNull(windowEnd, "windowEnd");
        if (!windowEnd.isAfter(windowStart)) {
            throw new IllegalArgumentException("window_end must be after window_start, was " + windowStart
                    + " to " + windowEnd);
        }
        errors = Collections.unmodifiableSortedMap(new TreeMap<>(errors));
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(requestUtilization, "requestUtilization");
        Objects.requireNonNull(tokenUtilization, "tokenUtilization");
        Objects.requireNonNull(costUsd, "costUsd");
    }

    /** Latency percentiles of the window's requests, in milliseconds. */
    public record Latency(long p50, long p95, long p99, long max) {
        public static final Latency NONE = new Latency(0, 0, 0, 0);
    }

    /**
     * Tokens of the window's requests.
     *
     * @param charged what counted against the TPM limit: the prompt estimate plus max_tokens
     */
    public record Tokens(long prompt, long completion, long charged) {
        public static final Tokens NONE = new Tokens(0, 0, 0);

        /** Prompt and completion tokens: what the provider bills. */
        public long used() {
            return prompt + completion;
        }
    }

    public Duration length() {
        return Duration.between(windowStart, windowEnd);
    }

    /** The share of requests that succeeded; 1 for a window without requests, as the job writes it. */
    public double successRate() {
        return requests == 0 ? 1.0 : (double) succeeded / requests;
    }

    /** Prompt and completion tokens per second of the window. */
    public double tokensPerSecond() {
        return tokens.used() * 1000.0 / length().toMillis();
    }

    /** The window's middle: where a chart puts its values. */
    public Instant midpoint() {
        return windowStart.plus(length().dividedBy(2));
    }

    /** Failed requests of one error kind; 0 if none. */
    public long errors(String kind) {
        return errors.getOrDefault(kind, 0L);
    }
}
