package io.llmstream.observe;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Totals over many windows, of one model or of all.
 *
 * @param label the model, or a name for the whole
 * @param tokens prompt and completion tokens
 * @param costUsd the sum over the windows that have a cost; empty if none has one
 * @param costPartial whether some windows with requests had no cost (no price configured for a while)
 * @param worstP95 the window with the highest p95 latency
 */
record ModelSummary(
        String label,
        int windows,
        long requests,
        long succeeded,
        long tokens,
        long chargedTokens,
        OptionalDouble costUsd,
        boolean costPartial,
        long rateLimitedResponses,
        Map<String, Long> errors,
        MetricsWindow worstP95) {

    static ModelSummary of(String label, List<MetricsWindow> windows) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a summary needs at least one window, " + label + " has none");
        }
        long requests = 0;
        long succeeded = 0;
        long tokens = 0;
        long charged = 0;
        long rateLimited = 0;
        double cost = 0;
        boolean anyCost = false;
        boolean costMissing = false;
        Map<String, Long> errors = new TreeMap<>();
        MetricsWindow worst = windows.get(0);
        for (MetricsWindow window : windows) {
            requests += window.requests();
            succeeded += window.succeeded();
            tokens += window.tokens().used();
            charged += window.tokens().charged();
            rateLimited += window.rateLimitedResponses();
            if (window.costUsd().isPresent()) {
                cost += window.costUsd().getAsDouble();
                anyCost = true;
            } else if (window.requests() > 0) {
                costMissing = true;
            }
            window.errors().forEach((kind, count) -> errors.merge(kind, count, Long::sum));
            if (window.latency().p95() > worst.latency().p95()) {
                worst = window;
            }
        }
        return new ModelSummary(label, windows.size(), requests, succeeded, tokens, charged,
                anyCost ? OptionalDouble.of(cost) : OptionalDouble.empty(), anyCost && costMissing, rateLimited,
                Collections.unmodifiableMap(errors), worst);
    }

    /** The share of requests that succeeded; 1 without requests. */
    double successRate() {
        return requests == 0 ? 1.0 : (double) succeeded / requests;
    }

    long failed() {
        return requests - succeeded;
    }

    long worstP95Ms() {
        return worstP95.latency().p95();
    }

    Instant worstP95At() {
        return worstP95.windowStart();
    }

    /** {@code $12.3400}, {@code $12.3400 (partial)} or {@code -}. */
    String cost() {
        return Formats.usd(costUsd) + (costPartial ? " (partial)" : "");
    }
}
