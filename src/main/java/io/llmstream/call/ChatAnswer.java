package io.llmstream.call;

import io.llmstream.call.embed.EmbeddingVectors;

/**
 * What a successful chat completion said.
 *
 * @param toolCalls the tool_calls array as raw JSON; null if none
 * @param promptTokens from the provider's usage; -1 if it reported none
 * @param embeddings the vectors of an embeddings answer; null for a chat completion
 */
public record ChatAnswer(
        String content,
        String finishReason,
        String toolCalls,
        int promptTokens,
        int completionTokens,
        int totalTokens,
        EmbeddingVectors embeddings) {

    /** A chat completion's answer. */
    public ChatAnswer(String content, String finishReason, String toolCalls, int promptTokens, int completionTokens,
            int totalTokens) {
        this(content, finishReason, toolCalls, promptTokens, completionTokens, totalTokens, null);
    }
}
