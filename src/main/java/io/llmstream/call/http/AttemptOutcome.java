package io.llmstream.call.http;

import io.llmstream.call.ChatAnswer;
import io.llmstream.limit.ProviderLimits;
import io.llmstream.record.ErrorKind;

import java.time.Duration;

/**
 * The result of one HTTP attempt: an answer, or a failure with what is known about it and whether
 * trying again can help.
 *
 * @param status the HTTP status; 0 when no response arrived
 * @param retryAfter the wait the provider asked for; null if it asked for none
 * @param limits what the response's headers said about the provider's limits
 */
public record AttemptOutcome(
        ChatAnswer answer,
        ErrorKind kind,
        int status,
        String code,
        String message,
        boolean retryable,
        Duration retryAfter,
        ProviderLimits limits) {

    public static AttemptOutcome success(ChatAnswer answer, ProviderLimits limits) {
        return new AttemptOutcome(answer, null, 200, null, null, false, null, limits);
    }

    public static AttemptOutcome failure(ErrorKind kind, int status, String code, String message, boolean retryable,
            Duration retryAfter) {
        return new AttemptOutcome(null, kind, status, code, message, retryable, retryAfter, ProviderLimits.NONE);
    }

    /** The same outcome with what the response said about the provider's limits. */
    public AttemptOutcome withLimits(ProviderLimits reported) {
        return new AttemptOutcome(answer, kind, status, code, message, retryable, retryAfter, reported);
    }

    /** The same failure with another message. */
    public AttemptOutcome withMessage(String newMessage) {
        return new AttemptOutcome(answer, kind, status, code, newMessage, retryable, retryAfter, limits);
    }

    /** The provider refused the key itself (401, 403). */
    public boolean isKeyRefused() {
        return status == 401 || status == 403;
    }

    public boolean succeeded() {
        return answer != null;
    }

    /** A 429 that asks to slow down (not one that says the quota is gone). */
    public boolean isRateLimited() {
        return status == 429 && kind == ErrorKind.RATE_LIMITED;
    }
}
