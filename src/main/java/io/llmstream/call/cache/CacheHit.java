package io.llmstream.call.cache;

import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;

/**
 * The result of a request answered from the cache: the earlier call's answer and usage under the
 * request's own id and metadata, marked {@code cached}. It made no attempt and waited for no budget, so
 * its metric event charges nothing; it carries the earlier call's attempts and tokens as what was saved.
 */
public final class CacheHit {
    private CacheHit() {}

    /**
     * @param original the completion of the call whose answer is reused
     * @param latencyMs from the request's turn in the call stage to this answer: near 0 for a stored answer,
     *     the wait for the call under way otherwise
     */
    public static CallResult of(LlmRequest request, Completion original, long latencyMs) {
        Completion completion = new Completion(request.id(), original.model(), original.content(),
                original.finishReason(), original.toolCalls(), original.promptTokens(), original.completionTokens(),
                original.totalTokens(), 0, latencyMs, 0, -1, original.fallbackFrom(), original.fallbackReason(),
                request.metadata(), true, original.merged(), null, original.embedding(), original.usageShared());
        MetricEvent metric = new MetricEvent(original.model(), null, null, original.attempts(), latencyMs, 0,
                original.promptTokens(), original.completionTokens(), 0, 0, original.fallbackFrom() != null, -1, -1,
                true);
        return CallResult.success(request, completion, metric);
    }
}
