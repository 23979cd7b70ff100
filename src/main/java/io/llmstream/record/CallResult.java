package io.llmstream.record;

/**
 * The outcome of calling the API for one request: exactly one of completion and dead letter, plus the
 * facts for metrics and the request itself, so the route stage can still turn a completion that cannot be
 * written into a dead letter with its input.
 */
public record CallResult(Completion completion, DeadLetter deadLetter, MetricEvent metric, LlmRequest request) {

    public static CallResult success(LlmRequest request, Completion completion, MetricEvent metric) {
        return new CallResult(completion, null, metric, request);
    }

    public static CallResult failure(LlmRequest request, DeadLetter deadLetter, MetricEvent metric) {
        return new CallResult(null, deadLetter, metric, request);
    }
}
