package io.llmstream.record;

/**
 * A valid prompt, ready to wait for its budget and be sent.
 *
 * @param id the prompt's id, the key of its output
 * @param model the configured model name it asked for (or the default)
 * @param priority higher goes first under saturation; 0 by default
 * @param body the chat-completions body as JSON: messages and every pass-through parameter, no model
 * @param metadata the input's metadata as raw JSON, copied to the output; null if none
 * @param promptTokens the estimated prompt tokens; {@link #NOT_ESTIMATED} while the call stage has yet to estimate them
 * @param maxTokens the request's max_tokens (or max_completion_tokens); 0 if it has none
 * @param input the original input value, for dead letters
 * @param inputBytes the size of the original input value in bytes
 * @param receivedAtMillis when the parse stage saw it
 * @param source where the input was read
 * @param lane how it reaches the provider: online, or through the Batch API
 * @param tenant the team it is charged to, as the record named it; null for the default tenant
 */
public record LlmRequest(
        String id,
        String model,
        int priority,
        String body,
        String metadata,
        int promptTokens,
        int maxTokens,
        String input,
        int inputBytes,
        long receivedAtMillis,
        SourcePosition source,
        Lane lane,
        String tenant) {

    /**
     * The prompt tokens of a chat request whose estimate is left to the call stage, which takes it: with tenants,
     * the stage reads past records it leaves in Kafka, and estimating what it leaves would be wasted.
     */
    public static final int NOT_ESTIMATED = -1;

    /** A request of the default tenant. */
    public LlmRequest(String id, String model, int priority, String body, String metadata, int promptTokens,
            int maxTokens, String input, int inputBytes, long receivedAtMillis, SourcePosition source, Lane lane) {
        this(id, model, priority, body, metadata, promptTokens, maxTokens, input, inputBytes, receivedAtMillis, source,
                lane, null);
    }

    /** An online request. */
    public LlmRequest(String id, String model, int priority, String body, String metadata, int promptTokens,
            int maxTokens, String input, int inputBytes, long receivedAtMillis, SourcePosition source) {
        this(id, model, priority, body, metadata, promptTokens, maxTokens, input, inputBytes, receivedAtMillis, source,
                Lane.ONLINE);
    }

    /** This request in another lane. */
    public LlmRequest inLane(Lane other) {
        return other == lane ? this : new LlmRequest(id, model, priority, body, metadata, promptTokens, maxTokens,
                input, inputBytes, receivedAtMillis, source, other, tenant);
    }

    /** This request charged to another tenant (null: the default one). */
    public LlmRequest ofTenant(String other) {
        return java.util.Objects.equals(other, tenant) ? this : new LlmRequest(id, model, priority, body, metadata,
                promptTokens, maxTokens, input, inputBytes, receivedAtMillis, source, lane, other);
    }

    /** Whether its prompt tokens are estimated (rather than {@link #NOT_ESTIMATED}). */
    public boolean isEstimated() {
        return promptTokens != NOT_ESTIMATED;
    }

    /** This request with its prompt's estimate. */
    public LlmRequest withPromptTokens(int estimate) {
        return new LlmRequest(id, model, priority, body, metadata, estimate, maxTokens, input, inputBytes,
                receivedAtMillis, source, lane, tenant);
    }

    /** The tokens charged against a TPM limit: prompt estimate plus the completion budget. */
    public long tokenCost(int defaultMaxTokens) {
        return (long) promptTokens + (maxTokens > 0 ? maxTokens : defaultMaxTokens);
    }
}
