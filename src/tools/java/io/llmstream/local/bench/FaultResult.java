package io.llmstream.local.bench;

import io.llmstream.local.mock.MockStats;
import org.apache.flink.api.common.JobStatus;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the fault scenario measured. A request is "outside the outage" when its whole life, from
 * admission to its result reaching the topic, with a second of margin, lies outside the outage window.
 */
final class FaultResult {
    private static final long MARGIN_MS = 1000;

    private final int prompts;
    private final Set<String> completed;
    private final Set<String> deadLettered;
    private final long duplicates;
    private final Map<String, Long> deadLettersByKind;
    private final List<Long> latencies;
    private final long attemptsOutside;
    private final long requestsOutside;
    private final JobStatus jobStatus;
    private final double seconds;
    private final MockStats mock;
    private final double maxAttemptsPerRequest;
    private final java.time.Duration maxSeconds;

    private FaultResult(Builder builder) {
        this.prompts = builder.prompts;
        this.completed = builder.completed;
        this.deadLettered = builder.deadLettered;
        this.duplicates = builder.duplicates;
        this.deadLettersByKind = builder.deadLettersByKind;
        this.latencies = builder.latencies;
        this.attemptsOutside = builder.attemptsOutside;
        this.requestsOutside = builder.requestsOutside;
        this.jobStatus = builder.jobStatus;
        this.seconds = builder.seconds;
        this.mock = builder.mock;
        this.maxAttemptsPerRequest = builder.maxAttemptsPerRequest;
        this.maxSeconds = builder.maxSeconds;
    }

    long accounted() {
        Set<String> all = new HashSet<>(completed);
        all.addAll(deadLettered);
        return all.size();
    }

    boolean nothingLost() {
        return accounted() == prompts && duplicates == 0 && completed.size() + deadLettered.size() == prompts;
    }

    double successShare() {
        return (double) completed.size() / prompts;
    }

    double attemptsPerRequestOutsideOutage() {
        return requestsOutside == 0 ? 0 : (double) attemptsOutside / requestsOutside;
    }

    long latencyPercentile(double quantile) {
        if (latencies.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return sorted.get(Math.max(0, (int) Math.ceil(quantile * sorted.size()) - 1));
    }

    /** Whether the run met every goal of the scenario. */
    boolean passed() {
        return nothingLost() && jobStatus == JobStatus.RUNNING && successShare() >= 0.99
                && attemptsPerRequestOutsideOutage() <= maxAttemptsPerRequest
                && (maxSeconds == null || seconds <= maxSeconds.toSeconds());
    }

    String verdict() {
        return String.format("%s: %,d completions + %,d dead letters = %,d of %,d (%,d duplicates); job %s, "
                        + "all accounted for in %.1f s (restart-strategy none: 0 restarts); %.2f%% succeeded; %.3f "
                        + "attempts per "
                        + "request outside the outage (%,d requests); latency p50/p95/p99 %,d/%,d/%,d ms; "
                        + "%,d requests met the outage (the breaker held the others back)",
                passed() ? "PASS" : "FAIL", completed.size(), deadLettered.size(), accounted(), prompts, duplicates,
                jobStatus, seconds, 100 * successShare(), attemptsPerRequestOutsideOutage(), requestsOutside,
                latencyPercentile(0.5), latencyPercentile(0.95), latencyPercentile(0.99), mock.outageRefusals());
    }

    void print(PrintStream out) {
        out.printf("   %s%n", verdict());
        out.printf("   dead letters by kind: %s%n", deadLettersByKind);
        out.printf("   the mock saw: %s%n", mock.summary());
    }

    /** Collects the run's results as they are read back. */
    static final class Builder {
        private final int prompts;
        private final long outageStartMillis;
        private final long outageEndMillis;
        private final Set<String> completed = new HashSet<>();
        private final Set<String> deadLettered = new HashSet<>();
        private final Map<String, Long> deadLettersByKind = new TreeMap<>();
        private final List<Long> latencies = new ArrayList<>();
        private long duplicates;
        private long attemptsOutside;
        private long requestsOutside;
        private JobStatus jobStatus;
        private double seconds;
        private MockStats mock;

        private final double maxAttemptsPerRequest;
        private final java.time.Duration maxSeconds;

        /**
         * @param maxAttemptsPerRequest the most attempts per request outside the outage that pass
         * @param maxSeconds the longest the run may take to account for every prompt; null for no bound
         */
        Builder(int prompts, long outageStartMillis, long outageEndMillis, double maxAttemptsPerRequest,
                java.time.Duration maxSeconds) {
            this.prompts = prompts;
            this.maxAttemptsPerRequest = maxAttemptsPerRequest;
            this.maxSeconds = maxSeconds;
            this.outageStartMillis = outageStartMillis;
            this.outageEndMillis = outageEndMillis;
        }

        long accounted() {
            return completed.size() + deadLettered.size();
        }

        void completion(String id, int attempts, long latencyMs, long waitMs, long arrivedMillis) {
            if (!completed.add(id) || deadLettered.contains(id)) {
                duplicates++;
                return;
            }
            latencies.add(latencyMs);
            request(attempts, arrivedMillis - latencyMs - waitMs, arrivedMillis);
        }

        void deadLetter(String id, String kind, int attempts, long elapsedMs, long arrivedMillis) {
            if (!deadLettered.add(id) || completed.contains(id)) {
                duplicates++;
                return;
            }
            deadLettersByKind.merge(kind, 1L, Long::sum);
            request(attempts, arrivedMillis - elapsedMs, arrivedMillis);
        }

        private void request(int attempts, long startMillis, long endMillis) {
            boolean overlaps = endMillis + MARGIN_MS > outageStartMillis && startMillis - MARGIN_MS < outageEndMillis;
            if (!overlaps) {
                attemptsOutside += attempts;
                requestsOutside++;
            }
        }

        void jobStatus(JobStatus status) {
            this.jobStatus = status;
        }

        void seconds(double seconds) {
            this.seconds = seconds;
        }

        void mock(MockStats stats) {
            this.mock = stats;
        }

        FaultResult build() {
            return new FaultResult(this);
        }
    }
}
