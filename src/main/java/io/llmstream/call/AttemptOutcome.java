package io.llmstream.call;

import io.llmstream.record.ErrorKind;

import java.time.Duration;

/**
 * The result of one HTTP attempt: an answer, or a failure with what is known about it and whether
 * trying again can help.
 *
 * @param status the HTTP status; 0 when no response arrived
 * @param retryAfter the wait the provider asked for; null if it asked for none
 */
public record AttemptOutcome(
        ChatAnswer answer,
        ErrorKind kind,
        int status,
        String code,
        String message,
        boolean retryable,
        Duration retryAfter) {

    public static AttemptOutcome success(ChatAnswer answer) {
        return new AttemptOutcome(answer, null, 200, null, null, false, null);
    }

    public static AttemptOutcome failure(ErrorKind kind, int status, String code, String message, boolean retryable,
            Duration retryAfter) {
        return new AttemptOutcome(null, kind, status, code, message, retryable, retryAfter);
    }

    /** The same failure with another message. */
    public AttemptOutcome withMessage(String newMessage) {
        return new AttemptOutcome(answer, kind, status, code, newMessage, retryable, retryAfter);
    }

    public boolean succeeded() {
        return answer != null;
    }

    /** A 429 that asks to slow down (not one that says the quota is gone). */
    public boolean isRateLimited() {
        return status == 429 && kind == ErrorKind.RATE_LIMITED;
    }
}
