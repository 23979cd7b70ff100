package io.llmstream.record;

/**
 * A successful answer to one prompt.
 *
 * @param toolCalls the message's tool_calls as raw JSON; null if none
 * @param metadata the input's metadata as raw JSON; null if none
 * @param latencyMs from admission to the final response, retries included
 * @param waitMs time waiting for rate-limit budget before the first attempt
 * @param firstTokenMs from sending the answering attempt to its first streamed chunk; -1 if not streamed
 * @param fallbackFrom the model the prompt asked for, when a fallback answered; null otherwise
 * @param fallbackReason why it fell back (circuit_open, quota_exceeded, context_length_exceeded); null otherwise
 * @param cached whether the answer came from the model's cache (an earlier identical request's answer)
 *     instead of a call of its own
 * @param merged how many prompts the merged request that answered this one carried; 0 when it was asked alone.
 *     The usage of a merged answer is its share of the merged request's usage.
 * @param input with {@code records.output: enrich}, the input record's text that the answer is added to (the
 *     request's own, not a copy); null otherwise
 * @param embedding an embedding model's vector as raw JSON (an array of floats, or a base64 string); null for a
 *     chat completion, whose answer is {@code content}
 * @param usageShared whether {@code promptTokens} is this input's share of a batch's usage, split in
 *     proportion to the estimates, rather than what the provider counted for it alone
 * @param batchId the provider's batch that answered it, for a prompt of the batch lane; null for an online one
 * @param tenant the tenant it was charged to, when tenants share the job; null otherwise
 */
public record Completion(
        String id,
        String model,
        String content,
        String finishReason,
        String toolCalls,
        int promptTokens,
        int completionTokens,
        int totalTokens,
        int attempts,
        long latencyMs,
        long waitMs,
        long firstTokenMs,
        String fallbackFrom,
        String fallbackReason,
        String metadata,
        boolean cached,
        int merged,
        String input,
        String embedding,
        boolean usageShared,
        String batchId,
        String tenant) {

    /** As the canonical constructor, for a job without tenants. */
    public Completion(String id, String model, String content, String finishReason, String toolCalls,
            int promptTokens, int completionTokens, int totalTokens, int attempts, long latencyMs, long waitMs,
            long firstTokenMs, String fallbackFrom, String fallbackReason, String metadata, boolean cached, int merged,
            String input, String embedding, boolean usageShared, String batchId) {
        this(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, attempts,
                latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached, merged, input,
                embedding, usageShared, batchId, null);
    }

    /** As the canonical constructor, for an answer of the online lane. */
    public Completion(String id, String model, String content, String finishReason, String toolCalls,
            int promptTokens, int completionTokens, int totalTokens, int attempts, long latencyMs, long waitMs,
            long firstTokenMs, String fallbackFrom, String fallbackReason, String metadata, boolean cached, int merged,
            String input, String embedding, boolean usageShared) {
        this(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, attempts,
                latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached, merged, input,
                embedding, usageShared, null);
    }

    /** An answer from a call of its own, asked alone, written as a completion record. */
    public Completion(String id, String model, String content, String finishReason, String toolCalls,
            int promptTokens, int completionTokens, int totalTokens, int attempts, long latencyMs, long waitMs,
            long firstTokenMs, String fallbackFrom, String fallbackReason, String metadata) {
        this(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, attempts,
                latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, false, 0, null, null, false);
    }

    /** An answer from the cache or a merged request, written as a completion record. */
    public Completion(String id, String model, String content, String finishReason, String toolCalls,
            int promptTokens, int completionTokens, int totalTokens, int attempts, long latencyMs, long waitMs,
            long firstTokenMs, String fallbackFrom, String fallbackReason, String metadata, boolean cached, int merged) {
        this(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, attempts,
                latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached, merged, null, null,
                false);
    }

    /** An embedding: {@code embedding} instead of {@code content}. */
    public Completion(String id, String model, String content, String finishReason, String toolCalls,
            int promptTokens, int completionTokens, int totalTokens, int attempts, long latencyMs, long waitMs,
            long firstTokenMs, String fallbackFrom, String fallbackReason, String metadata, String embedding,
            boolean usageShared) {
        this(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, attempts,
                latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, false, 0, null, embedding,
                usageShared);
    }

    /** The same completion carrying the input record it enriches. */
    public Completion withInput(String inputRecord) {
        return new Completion(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens,
                attempts, latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached, merged,
                inputRecord, embedding, usageShared, batchId, tenant);
    }

    /** The same completion charged to {@code name}. */
    public Completion ofTenant(String name) {
        return new Completion(id, model, content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens,
                attempts, latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached, merged,
                input, embedding, usageShared, batchId, name);
    }

    /** The same completion, answered in the provider's batch {@code id}. */
    public Completion inBatch(String id) {
        return new Completion(this.id, model, content, finishReason, toolCalls, promptTokens, completionTokens,
                totalTokens, attempts, latencyMs, waitMs, firstTokenMs, fallbackFrom, fallbackReason, metadata, cached,
                merged, input, embedding, usageShared, id, tenant);
    }

    /** Whether this is an embedding rather than a chat completion. */
    public boolean isEmbedding() {
        return embedding != null;
    }
}
