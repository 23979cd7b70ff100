package io.llmstream.record;

/**
 * The facts of one finished call, aggregated into per-model windows.
 *
 * @param keyId the id of the API key of the last attempt; null if none was made
 * @param errorKind null for a success
 * @param latencyMs admission to final response, retries included
 * @param waitMs time the request waited for rate-limit budget
 * @param chargedTokens the tokens the budget charged against the TPM limit (prompt estimate + max_tokens)
 * @param rateLimitedResponses 429 answers seen on the way
 * @param fallback whether the request was answered (or failed) on a fallback model
 * @param providerLatencyMs how long the last attempt took, from sending to its answer; -1 if none was made
 * @param firstTokenMs time to the first token of a streamed successful answer; -1 otherwise
 * @param cached answered from the cache without a call: then {@code attempts}, {@code promptTokens} and
 *     {@code completionTokens} are those of the call whose answer was reused, saved rather than spent, and
 *     nothing was charged ({@code chargedTokens} 0, no key)
 * @param concurrencyLimit how many requests its model's budget shard let be at the server at once when it
 *     ended; -1 when no call was made
 * @param batchLane whether the prompt went through the provider's Batch API: its tokens cost the batch price
 * @param tenant the tenant it was charged to, when tenants share the job; null otherwise
 */
public record MetricEvent(
        String model,
        String keyId,
        ErrorKind errorKind,
        int attempts,
        long latencyMs,
        long waitMs,
        int promptTokens,
        int completionTokens,
        long chargedTokens,
        int rateLimitedResponses,
        boolean fallback,
        long providerLatencyMs,
        long firstTokenMs,
        boolean cached,
        int concurrencyLimit,
        boolean batchLane,
        String tenant) {

    /** As the canonical constructor, for a job without tenants. */
    public MetricEvent(String model, String keyId, ErrorKind errorKind, int attempts, long latencyMs, long waitMs,
            int promptTokens, int completionTokens, long chargedTokens, int rateLimitedResponses, boolean fallback,
            long providerLatencyMs, long firstTokenMs, boolean cached, int concurrencyLimit, boolean batchLane) {
        this(model, keyId, errorKind, attempts, latencyMs, waitMs, promptTokens, completionTokens, chargedTokens,
                rateLimitedResponses, fallback, providerLatencyMs, firstTokenMs, cached, concurrencyLimit, batchLane,
                null);
    }

    /** As the canonical constructor, for a call of the online lane. */
    public MetricEvent(String model, String keyId, ErrorKind errorKind, int attempts, long latencyMs, long waitMs,
            int promptTokens, int completionTokens, long chargedTokens, int rateLimitedResponses, boolean fallback,
            long providerLatencyMs, long firstTokenMs, boolean cached, int concurrencyLimit) {
        this(model, keyId, errorKind, attempts, latencyMs, waitMs, promptTokens, completionTokens, chargedTokens,
                rateLimitedResponses, fallback, providerLatencyMs, firstTokenMs, cached, concurrencyLimit, false);
    }

    /** As the canonical constructor, without a concurrency limit. */
    public MetricEvent(String model, String keyId, ErrorKind errorKind, int attempts, long latencyMs, long waitMs,
            int promptTokens, int completionTokens, long chargedTokens, int rateLimitedResponses, boolean fallback,
            long providerLatencyMs, long firstTokenMs, boolean cached) {
        this(model, keyId, errorKind, attempts, latencyMs, waitMs, promptTokens, completionTokens, chargedTokens,
                rateLimitedResponses, fallback, providerLatencyMs, firstTokenMs, cached, -1);
    }

    /** The facts of a call of its own. */
    public MetricEvent(String model, String keyId, ErrorKind errorKind, int attempts, long latencyMs, long waitMs,
            int promptTokens, int completionTokens, long chargedTokens, int rateLimitedResponses, boolean fallback,
            long providerLatencyMs, long firstTokenMs) {
        this(model, keyId, errorKind, attempts, latencyMs, waitMs, promptTokens, completionTokens, chargedTokens,
                rateLimitedResponses, fallback, providerLatencyMs, firstTokenMs, false);
    }

    public boolean succeeded() {
        return errorKind == null;
    }

    /** The same call counted as a failure of {@code kind}, its tokens still spent (or, for a cache hit, saved). */
    public MetricEvent failedAs(ErrorKind kind) {
        return new MetricEvent(model, keyId, kind, attempts, latencyMs, waitMs, promptTokens, completionTokens,
                chargedTokens, rateLimitedResponses, fallback, providerLatencyMs, -1, cached, concurrencyLimit, batchLane,
                tenant);
    }

    /** The same event charged to {@code name}. */
    public MetricEvent ofTenant(String name) {
        return new MetricEvent(model, keyId, errorKind, attempts, latencyMs, waitMs, promptTokens, completionTokens,
                chargedTokens, rateLimitedResponses, fallback, providerLatencyMs, firstTokenMs, cached, concurrencyLimit,
                batchLane, name);
    }

    /** The usage ledger's key: tenant, model and lane. */
    public String usageKey() {
        return tenant + '\u0000' + model + '\u0000' + (batchLane ? "batch" : "online");
    }
}
