package io.llmstream.record;

/**
 * One model's aggregates over one window, as written to the metrics topic.
 *
 * @param errorsByKind failures by {@link ErrorKind#ordinal()}
 * @param firstTokenP50Ms time to first token of streamed answers, median; -1 when no answer was streamed
 * @param requestUtilization requests per minute as a fraction of the rpm limit; -1 if not limited
 * @param tokenUtilization charged tokens per minute as a fraction of the tpm limit; -1 if not limited
 * @param costUsd what the window's prompt and completion tokens cost at the model's configured price, in
 *     US dollars; -1 when no price is configured
 * @param keys what each API key carried in the window
 * @param cacheHits prompts answered from the cache (counted in {@code requests} and {@code succeeded} too,
 *     in nothing spent)
 * @param callsSaved provider requests the cache saved: the attempts of the calls whose answers were reused
 * @param costSavedUsd what the reused answers' tokens cost at the model's price; -1 when no price is configured
 * @param concurrencyLimit the highest number of requests one budget shard of the model let be at its server
 *     at once when a call of the window ended (the adaptive limit, or the fixed one); -1 without calls
 * @param batchLaneRequests prompts of the window that ended through the provider's Batch API (answered or dead
 *     letters; counted in {@code requests} too, in no attempts, latencies or charged tokens of the online lane)
 * @param batchLaneSavedUsd what the batch lane's tokens would have cost more online (the batch discount); -1
 *     when no price is configured
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
        long firstTokenP50Ms,
        long firstTokenP95Ms,
        long firstTokenP99Ms,
        long promptTokens,
        long completionTokens,
        long chargedTokens,
        double throughputPerSecond,
        double requestUtilization,
        double tokenUtilization,
        double costUsd,
        KeyWindow[] keys,
        long cacheHits,
        long callsSaved,
        double costSavedUsd,
        int concurrencyLimit,
        long batchLaneRequests,
        double batchLaneSavedUsd) {

    /**
     * One API key's share of a model's window; utilizations are against the key's own limits (the
     * model's limits times the key's weight), -1 where not limited.
     */
    public record KeyWindow(String keyId, long requests, long chargedTokens, long rateLimitedResponses,
            double requestUtilization, double tokenUtilization) {}
}
