package io.llmstream.route;

import io.llmstream.measure.LlmMetrics;
import io.llmstream.record.MetricEvent;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * One model's cache counters (names in {@link LlmMetrics}): prompts answered from the cache, and the
 * requests and tokens the reused answers cost when they were made, which the cache saved. The cost saved
 * is the tokens saved at the model's price, as for the cost spent.
 */
final class CacheCounters {
    private final Counter hits;
    private final Counter callsSaved;
    private final Counter promptTokensSaved;
    private final Counter completionTokensSaved;

    CacheCounters(MetricGroup modelGroup) {
        hits = modelGroup.counter(LlmMetrics.CACHE_HITS);
        callsSaved = modelGroup.counter(LlmMetrics.CALLS_SAVED);
        promptTokensSaved = modelGroup.counter(LlmMetrics.PROMPT_TOKENS_SAVED);
        completionTokensSaved = modelGroup.counter(LlmMetrics.COMPLETION_TOKENS_SAVED);
    }

    /** Counts one prompt answered from the cache. */
    void record(MetricEvent hit) {
        hits.inc();
        callsSaved.inc(hit.attempts());
        promptTokensSaved.inc(hit.promptTokens());
        completionTokensSaved.inc(hit.completionTokens());
    }
}
