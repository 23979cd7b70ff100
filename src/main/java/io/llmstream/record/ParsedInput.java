package io.llmstream.record;

/**
 * One input record as the parse stage leaves it: the request to send, or the dead letter that says why it
 * cannot be one. Exactly one of the two is set. Both travel on to the call stage, so that no input waits
 * anywhere a checkpoint barrier cannot pass: invalid ones leave it at once.
 */
public record ParsedInput(LlmRequest request, DeadLetter deadLetter) {

    public static ParsedInput valid(LlmRequest request) {
        return new ParsedInput(request, null);
    }

    public static ParsedInput invalid(DeadLetter deadLetter) {
        return new ParsedInput(null, deadLetter);
    }

    /** Whether this is a request rather than a dead letter. */
    public boolean isValid() {
        return request != null;
    }

    /**
     * When the parse stage made it, in wall-clock milliseconds; a dead letter counts as made long ago, so that
     * after a restore it never waits for room in the call stage (it leaves at once anyway).
     */
    public long madeAtMillis() {
        return request != null ? request.receivedAtMillis() : Long.MIN_VALUE;
    }
}
