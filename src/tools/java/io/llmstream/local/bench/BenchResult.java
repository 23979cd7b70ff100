package io.llmstream.local.bench;

import io.llmstream.local.mock.MockStats;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What one scenario's run measured, and the one-line verdict printed for it. */
final class BenchResult {
    /** The mock's counters at a moment of the run. */
    record Sample(double seconds, MockStats stats) {}

    /** One completion the job wrote. */
    record Completed(long latencyMs, long waitMs, int priority) {}

    private final BenchScenario scenario;
    private final List<Sample> samples;
    private final List<Completed> completions;
    private final List<Long> heapMb;
    private final CheckpointStats checkpoints;

    BenchResult(BenchScenario scenario, List<Sample> samples, List<Completed> completions, List<Long> heapMb,
            CheckpointStats checkpoints) {
        this.scenario = scenario;
        this.samples = samples;
        this.completions = completions;
        this.heapMb = heapMb;
        this.checkpoints = checkpoints;
    }

    /**
     * Requests (or tokens) per minute a key was admitted over the steady part, as a share of its real
     * limit: what the mock admitted after its latest admission at the end of the warm-up, up to and
     * including its latest admission at the end, over the time between those two admissions.
     */
    double steadyShare(String key, boolean tokens) {
        int index = scenario.keys().indexOf(key);
        long limit = scenario.realLimits().get(index)[tokens ? 1 : 0];
        Sample from = samples.stream().filter(sample -> sample.seconds() >= BenchRunner.WARM_UP.toSeconds())
                .findFirst().orElse(samples.get(0));
        MockStats.KeyModel start = from.stats().keyModel(key, scenario.model());
        MockStats.KeyModel end = last().keyModel(key, scenario.model());
        if (start == null || end == null || end.lastAdmittedNanos() <= start.lastAdmittedNanos()) {
            return 0;
        }
        double count = tokens ? end.tokens() - start.tokens() : end.admitted() - start.admitted();
        return count * 60e9 / (end.lastAdmittedNanos() - start.lastAdmittedNanos()) / limit;
    }

    long rateLimited() {
        return last().rateLimited();
    }

    long requests() {
        return last().requests();
    }

    private MockStats last() {
        return samples.get(samples.size() - 1).stats();
    }

    long latencyPercentile(double quantile) {
        return percentile(completions.stream().map(Completed::latencyMs).collect(java.util.stream.Collectors.toList()),
                quantile);
    }

    long waitPercentile(double quantile, int priority) {
        List<Long> waits = new ArrayList<>();
        for (Completed completed : completions) {
            if (completed.priority() == priority) {
                waits.add(completed.waitMs());
            }
        }
        return percentile(waits, quantile);
    }

    private static long percentile(List<Long> values, double quantile) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.max(0, (int) Math.ceil(quantile * sorted.size()) - 1));
    }

    List<Long> heapMb() {
        return heapMb;
    }

    BenchScenario scenario() {
        return scenario;
    }

    /** The scenario's line for the summary table, with its checkpoints. */
    String verdict() {
        return measured() + "; " + checkpoints;
    }

    private String measured() {
        String rateLimited = String.format("429s %,d of %,d requests (%.2f%%)", rateLimited(), requests(),
                100.0 * rateLimited() / Math.max(1, requests()));
        String latency = String.format("latency p50/p95/p99 %d/%d/%d ms", latencyPercentile(0.5),
                latencyPercentile(0.95), latencyPercentile(0.99));
        switch (scenario.name()) {
            case "tpm-bound":
                return String.format("%.1f%% of TPM, %.1f%% of RPM; %s; %s", 100 * steadyShare("bench-key", true),
                        100 * steadyShare("bench-key", false), rateLimited, latency);
            case "two-keys": {
                double a = steadyShare("key-a", false);
                double b = steadyShare("key-b", false);
                return String.format("key-a %.1f%% of 600, key-b %.1f%% of 300, sum %.1f%% of 900; %s", 100 * a,
                        100 * b, 100 * (a * 600 + b * 300) / 900, rateLimited);
            }
            case "half-limit":
            case "half-silent":
                return String.format("%.1f%% of the real 300 RPM; %s", 100 * steadyShare("bench-key", false),
                        rateLimited);
            case "priorities":
                return String.format("wait p95: priority 5 %,d ms, priority 0 %,d ms (p50 %,d vs %,d ms); %s",
                        waitPercentile(0.95, 5), waitPercentile(0.95, 0), waitPercentile(0.5, 5),
                        waitPercentile(0.5, 0), rateLimited);
            case "backlog":
                return String.format("heap after GC every 30 s (MB): %s; %.1f%% of RPM; %s", heapMb,
                        100 * steadyShare("bench-key", false), rateLimited);
            default:
                return String.format("%.1f%% of RPM; %s; %s", 100 * steadyShare("bench-key", false), rateLimited,
                        latency);
        }
    }

    void print(PrintStream out) {
        out.printf("   %s%n", verdict());
    }
}
