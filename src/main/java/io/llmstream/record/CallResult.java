package io.llmstream.record;

/**
 * The outcome of calling the API for one request: exactly one of completion and dead letter, plus the
 * facts for metrics and the request itself, so the route stage can still turn a completion that cannot be
 * written into a dead letter with its input. An input that was not a valid prompt passes the call stage as
 * a dead letter with neither request nor metric: it made no call.
 */
public record CallResult(Completion completion, DeadLetter deadLetter, MetricEvent metric, LlmRequest request) {

    public static CallResult success(LlmRequest request, Completion completion, MetricEvent metric) {
        return new CallResult(completion, null, metric, request);
    }

    public static CallResult failure(LlmRequest request, DeadLetter deadLetter, MetricEvent metric) {
        return new CallResult(null, deadLetter, metric, request);
    }

    /** An input that was not a valid prompt ({@code invalid_input}): it made no call. */
    public static CallResult invalidInput(DeadLetter deadLetter) {
        return new CallResult(null, deadLetter, null, null);
    }

    /** Whether this is an input that made no call because it was not a valid prompt. */
    public boolean isInvalidInput() {
        return metric == null;
    }
}
