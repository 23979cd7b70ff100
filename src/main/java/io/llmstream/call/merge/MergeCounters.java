package io.llmstream.call.merge;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.measure.LlmMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

import java.util.HashMap;
import java.util.Map;

/**
 * The call stage's counters of merged prompts, in each merging model's group
 * ({@code <operator>.model.<model>.<name>}): what merging saved and what it cost. Written from the
 * merge timer and the HTTP threads, hence thread-safe counters.
 */
final class MergeCounters {
    /** Counter: merged requests sent, each one request against the model's RPM for many prompts. */
    static final String MERGED_REQUESTS = "mergedRequests";
    /** Counter: prompts answered from a merged request. */
    static final String MERGED_ANSWERS = "mergedAnswers";
    /** Counter: prompts of a merged request asked again on their own (no, a repeated or an unusable answer). */
    static final String MERGED_ASKED_ALONE = "mergedAskedAlone";

    private final Map<String, Counter[]> byModel = new HashMap<>();

    MergeCounters(MetricGroup operatorGroup, LlmStreamConfig config) {
        for (ModelSettings model : config.models().values()) {
            if (model.merge() != null) {
                MetricGroup group = operatorGroup.addGroup(LlmMetrics.MODEL_GROUP, model.name());
                byModel.put(model.name(), new Counter[] {
                    group.counter(MERGED_REQUESTS, new ThreadSafeSimpleCounter()),
                    group.counter(MERGED_ANSWERS, new ThreadSafeSimpleCounter()),
                    group.counter(MERGED_ASKED_ALONE, new ThreadSafeSimpleCounter())});
            }
        }
    }

    void sent(String model) {
        inc(model, 0, 1);
    }

    void answered(String model, int prompts) {
        inc(model, 1, prompts);
    }

    void askedAlone(String model, int prompts) {
        inc(model, 2, prompts);
    }

    private void inc(String model, int which, int count) {
        Counter[] counters = byModel.get(model);
        if (counters != null && count > 0) {
            counters[which].inc(count);
        }
    }
}
