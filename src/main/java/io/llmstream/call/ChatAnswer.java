package io.llmstream.call;

/**
 * What a successful chat completion said.
 *
 * @param toolCalls the tool_calls array as raw JSON; null if none
 * @param promptTokens from the provider's usage; -1 if it reported none
 */
public record ChatAnswer(
        String content,
        String finishReason,
        String toolCalls,
        int promptTokens,
        int completionTokens,
        int totalTokens) {}
