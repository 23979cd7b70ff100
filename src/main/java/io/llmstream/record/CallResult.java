package io.llmstream.record;

/**
 * The outcome of calling the API for one request: exactly one of completion and dead letter, plus the
 * facts for metrics.
 */
public record CallResult(Completion completion, DeadLetter deadLetter, MetricEvent metric) {

    public static CallResult success(Completion completion, MetricEvent metric) {
        return new CallResult(completion, null, metric);
    }

    public static CallResult failure(DeadLetter deadLetter, MetricEvent metric) {
        return new CallResult(null, deadLetter, metric);
    }
}
