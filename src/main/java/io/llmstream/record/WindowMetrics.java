package io.llmstream.record;

/**
 * One model's aggregates over one window, as written to the metrics topic.
 *
 * @param errorsByKind failures by {@link ErrorKind#ordinal()}
 * @param requestUtilization requests per minute as a fraction of the rpm limit; -1 if not limited
 * @param tokenUtilization charged tokens per minute as a fraction of the tpm limit; -1 if not limited
 */
public record WindowMetrics(
        long windowStart,
        long windowEnd,
        String model,
        long requests,
        long succeeded,
        long failed,
        long[] errorsByKind,
        long attempts,
        long rateLimitedResponses,
        long latencyP50Ms,
        long latencyP95Ms,
        long latencyP99Ms,
        long latencyMaxMs,
        long budgetWaitP95Ms,
        long promptTokens,
        long completionTokens,
        long chargedTokens,
        double throughputPerSecond,
        double requestUtilization,
        double tokenUtilization) {}
