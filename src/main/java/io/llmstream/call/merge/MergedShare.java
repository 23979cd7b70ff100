package io.llmstream.call.merge;

import io.llmstream.call.UsageShares;
import io.llmstream.record.CallResult;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;

/** A prompt's part of a merged call's counts, so that every count adds up to the merged call's once. */
record MergedShare(int promptTokens, int completionTokens, long chargedTokens, int attempts, int rateLimited) {

    /**
     * The merged call's counts split over its prompts: tokens in proportion (prompt tokens by each prompt's
     * estimate, completion tokens by each answer's tokens, charged tokens by each prompt's own cost);
     * attempts and 429s to the first.
     */
    static MergedShare[] split(MetricEvent merged, long[] promptWeights, long[] answerTokens, long[] costWeights) {
        long[] prompt = UsageShares.split(merged.promptTokens(), promptWeights);
        long[] completion = UsageShares.split(merged.completionTokens(), answerTokens);
        long[] charged = UsageShares.split(merged.chargedTokens(), costWeights);
        MergedShare[] shares = new MergedShare[prompt.length];
        for (int i = 0; i < shares.length; i++) {
            shares[i] = new MergedShare((int) prompt[i], (int) completion[i], charged[i],
                    i == 0 ? merged.attempts() : 0, i == 0 ? merged.rateLimitedResponses() : 0);
        }
        return shares;
    }

    /** This prompt's metric event: the merged call's key, latency and fallback with this share's counts. */
    MetricEvent event(MetricEvent merged, ErrorKind kind, long waitMs, long firstTokenMs) {
        return new MetricEvent(merged.model(), merged.keyId(), kind, attempts, merged.latencyMs(), waitMs,
                promptTokens, completionTokens, chargedTokens, rateLimited, merged.fallback(),
                merged.providerLatencyMs(), firstTokenMs);
    }

    /** The result of the prompt's own call, with its part of the merged call counted too. */
    CallResult addedTo(CallResult result) {
        MetricEvent m = result.metric();
        MetricEvent counted = new MetricEvent(m.model(), m.keyId(), m.errorKind(), m.attempts() + attempts,
                m.latencyMs(), m.waitMs(), m.promptTokens() + promptTokens, m.completionTokens() + completionTokens,
                m.chargedTokens() + chargedTokens, m.rateLimitedResponses() + rateLimited, m.fallback(),
                m.providerLatencyMs(), m.firstTokenMs());
        return new CallResult(result.completion(), result.deadLetter(), counted, result.request());
    }
}
