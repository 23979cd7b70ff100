package io.llmstream.call;

import io.llmstream.call.http.AttemptOutcome;
import io.llmstream.call.http.StatusPolicy;
import io.llmstream.config.RetrySettings;
import io.llmstream.record.ErrorKind;

import java.time.Duration;

/**
 * Decides what follows a failed attempt: give up, or try again after how long. Statuses that no retry
 * can fix ({@link StatusPolicy#FINAL}) end at once; the rest are tried again when their kind is in
 * {@code call.retry.retry-on}, within the attempts and, for malformed answers, their own bound. A 429
 * spends no attempt: the key rests for the provider's wait and the request asks the budget again, until
 * the deadline.
 */
public final class RetryPolicy {
    /** How long a key rests after a 429 that names no wait. */
    static final Duration DEFAULT_RATE_LIMIT_WAIT = Duration.ofSeconds(1);

    private final RetrySettings settings;
    private final Backoff backoff;

    RetryPolicy(RetrySettings settings) {
        this.settings = settings;
        this.backoff = new Backoff(settings);
    }

    /** What to do next; a {@code null} delay means give up. */
    record Next(Duration delay, String reason) {
        static Next giveUp(String reason) {
            return new Next(null, reason);
        }

        boolean givesUp() {
            return delay == null;
        }
    }

    /**
     * @param attempts attempts made so far, this one included
     * @param malformedAnswers malformed answers so far, this one included
     * @param otherKeys whether another of the endpoint's keys can still be tried
     */
    Next after(AttemptOutcome outcome, int attempts, int malformedAnswers, boolean otherKeys) {
        if (outcome.isKeyRefused()) {
            // Not the request's fault: the same request goes at once on another key, if one is left.
            return otherKeys ? new Next(Duration.ZERO, "key refused") : Next.giveUp("no other key");
        }
        // An answer that is not the JSON asked for is always asked again (records.answer: json).
        boolean retried = settings.retries(outcome.kind()) || outcome.kind() == ErrorKind.INVALID_ANSWER;
        if (!outcome.retryable() || !retried) {
            return Next.giveUp("final");
        }
        if (outcome.isRateLimited()) {
            // Not a failure of the prompt: the provider asks to wait, and the retry goes through the model's
            // budget again, so it spends no attempt; call.timeout bounds how long a prompt keeps waiting.
            return new Next(Duration.ZERO, "rate limited");
        }
        if (attempts >= settings.maxAttempts()) {
            return Next.giveUp("call.retry.max-attempts (" + settings.maxAttempts() + ") reached");
        }
        if (malformedAnswers >= settings.malformedAttempts()) {
            return Next.giveUp("call.retry.malformed-attempts (" + settings.malformedAttempts() + ") reached");
        }
        return new Next(outcome.retryAfter() != null ? outcome.retryAfter() : backoff.delay(attempts), "backoff");
    }

    /** How long the key of a 429 rests. */
    static Duration rateLimitWait(AttemptOutcome outcome) {
        return outcome.retryAfter() != null ? outcome.retryAfter() : DEFAULT_RATE_LIMIT_WAIT;
    }
}
