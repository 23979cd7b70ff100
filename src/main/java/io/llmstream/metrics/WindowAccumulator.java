package io.llmstream.metrics;

import io.llmstream.measure.LatencyHistogram;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;

import java.util.Arrays;

/**
 * The running totals of one model's window. A Flink POJO made of primitives and arrays, so window
 * state never falls back to Kryo.
 */
public final class WindowAccumulator {
    public long requests;
    public long succeeded;
    /** Failures by {@link ErrorKind#ordinal()}; ErrorKind only ever grows at its end. */
    public long[] errorsByKind = new long[ErrorKind.values().length];
    public long attempts;
    public long rateLimitedResponses;
    public long promptTokens;
    public long completionTokens;
    public long chargedTokens;
    public LatencyHistogram latency = new LatencyHistogram();
    public LatencyHistogram budgetWait = new LatencyHistogram();
    /** Time to first token of streamed successful answers. */
    public LatencyHistogram firstToken = new LatencyHistogram();
    /** Per API key: its id, and what it carried. A model's endpoint has a handful of keys. */
    public String[] keyIds = new String[0];
    public long[] keyRequests = new long[0];
    public long[] keyChargedTokens = new long[0];
    public long[] keyRateLimited = new long[0];
    /** Prompts answered from the cache, and what the reused answers cost when they were made. */
    public long cacheHits;
    public long callsSaved;
    public long promptTokensSaved;
    public long completionTokensSaved;
    /** The highest concurrency limit (of one budget shard) a call of the window ended under; -1 if none. */
    public int concurrencyLimit = -1;
    /** Prompts that ended through the Batch API, and their tokens (in the totals above too), at the batch price. */
    public long batchLaneRequests;
    public long batchLanePromptTokens;
    public long batchLaneCompletionTokens;

    public void add(MetricEvent event) {
        requests++;
        if (event.succeeded()) {
            succeeded++;
        } else {
            int kind = event.errorKind().ordinal();
            if (kind >= errorsByKind.length) {
                errorsByKind = Arrays.copyOf(errorsByKind, ErrorKind.values().length);
            }
            errorsByKind[kind]++;
        }
        if (event.batchLane()) {
            // Not the online lane's: no attempts, charged tokens or latencies against its limits and percentiles.
            batchLaneRequests++;
            batchLanePromptTokens += event.promptTokens();
            batchLaneCompletionTokens += event.completionTokens();
            promptTokens += event.promptTokens();
            completionTokens += event.completionTokens();
            return;
        }
        if (event.cached()) {
            // No call: nothing spent, charged or timed; what the reused answer cost counts as saved.
            cacheHits++;
            callsSaved += event.attempts();
            promptTokensSaved += event.promptTokens();
            completionTokensSaved += event.completionTokens();
            return;
        }
        attempts += event.attempts();
        concurrencyLimit = Math.max(concurrencyLimit, event.concurrencyLimit());
        rateLimitedResponses += event.rateLimitedResponses();
        promptTokens += event.promptTokens();
        completionTokens += event.completionTokens();
        chargedTokens += event.chargedTokens();
        latency.record(event.latencyMs());
        budgetWait.record(event.waitMs());
        if (event.firstTokenMs() >= 0) {
            firstToken.record(event.firstTokenMs());
        }
        if (event.keyId() != null) {
            // Requests the key sent: a merged request's or an embeddings batch's are on its first prompt only.
            addForKey(event.keyId(), event.attempts(), event.chargedTokens(), event.rateLimitedResponses());
        }
    }

    private void addForKey(String keyId, long requests, long chargedTokens, long rateLimited) {
        int index = Arrays.asList(keyIds).indexOf(keyId);
        if (index < 0) {
            index = keyIds.length;
            keyIds = Arrays.copyOf(keyIds, index + 1);
            keyIds[index] = keyId;
            keyRequests = Arrays.copyOf(keyRequests, index + 1);
            keyChargedTokens = Arrays.copyOf(keyChargedTokens, index + 1);
            keyRateLimited = Arrays.copyOf(keyRateLimited, index + 1);
        }
        keyRequests[index] += requests;
        keyChargedTokens[index] += chargedTokens;
        keyRateLimited[index] += rateLimited;
    }

    public void merge(WindowAccumulator other) {
        requests += other.requests;
        succeeded += other.succeeded;
        if (other.errorsByKind.length > errorsByKind.length) {
            errorsByKind = Arrays.copyOf(errorsByKind, other.errorsByKind.length);
        }
        for (int i = 0; i < other.errorsByKind.length; i++) {
            errorsByKind[i] += other.errorsByKind[i];
        }
        attempts += other.attempts;
        rateLimitedResponses += other.rateLimitedResponses;
        promptTokens += other.promptTokens;
        completionTokens += other.completionTokens;
        chargedTokens += other.chargedTokens;
        cacheHits += other.cacheHits;
        concurrencyLimit = Math.max(concurrencyLimit, other.concurrencyLimit);
        batchLaneRequests += other.batchLaneRequests;
        batchLanePromptTokens += other.batchLanePromptTokens;
        batchLaneCompletionTokens += other.batchLaneCompletionTokens;
        callsSaved += other.callsSaved;
        promptTokensSaved += other.promptTokensSaved;
        completionTokensSaved += other.completionTokensSaved;
        latency.merge(other.latency);
        budgetWait.merge(other.budgetWait);
        firstToken.merge(other.firstToken);
        for (int i = 0; i < other.keyIds.length; i++) {
            addForKey(other.keyIds[i], other.keyRequests[i], other.keyChargedTokens[i], other.keyRateLimited[i]);
        }
    }

    public long failed() {
        return requests - succeeded;
    }
}
