package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/** Hand-made windows: a 10-second window with 100 requests, all fields settable. */
final class TestWindows {
    private String model;
    private Instant start;
    private Duration length = Duration.ofSeconds(10);
    private long requests = 100;
    private long succeeded = 100;
    private final Map<String, Long> errors = new TreeMap<>();
    private MetricsWindow.Latency latency = new MetricsWindow.Latency(150, 320, 480, 510);
    private long budgetWaitP95Ms = 40;
    private MetricsWindow.Tokens tokens = new MetricsWindow.Tokens(3000, 2000, 9000);
    private long rateLimited;
    private OptionalDouble requestUtilization = OptionalDouble.of(0.5);
    private OptionalDouble tokenUtilization = OptionalDouble.of(0.25);
    private OptionalDouble costUsd = OptionalDouble.empty();

    private TestWindows(String model, Instant start) {
        this.model = model;
        this.start = start;
    }

    static TestWindows window(String model, String start) {
        return new TestWindows(model, Instant.parse(start));
    }

    static TestWindows window(String model, Instant start) {
        return new TestWindows(model, start);
    }

    TestWindows length(Duration length) {
        this.length = length;
        return this;
    }

    TestWindows requests(long requests, long succeeded) {
        this.requests = requests;
        this.succeeded = succeeded;
        return this;
    }

    TestWindows error(String kind, long count) {
        errors.put(kind, count);
        return this;
    }

    TestWindows latency(long p50, long p95, long p99) {
        this.latency = new MetricsWindow.Latency(p50, p95, p99, p99);
        return this;
    }

    TestWindows tokens(long prompt, long completion, long charged) {
        this.tokens = new MetricsWindow.Tokens(prompt, completion, charged);
        return this;
    }

    TestWindows rateLimited(long responses) {
        this.rateLimited = responses;
        return this;
    }

    TestWindows utilization(OptionalDouble requests, OptionalDouble tokens) {
        this.requestUtilization = requests;
        this.tokenUtilization = tokens;
        return this;
    }

    TestWindows cost(double usd) {
        this.costUsd = OptionalDouble.of(usd);
        return this;
    }

    MetricsWindow build() {
        return new MetricsWindow(model, start, start.plus(length), requests, succeeded, requests - succeeded, errors,
                latency, budgetWaitP95Ms, tokens, requests * 1000.0 / length.toMillis(), requests + rateLimited,
                rateLimited, requestUtilization, tokenUtilization, costUsd);
    }
}
