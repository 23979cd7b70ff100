package io.llmstream.batch;

import io.llmstream.config.BatchLaneSettings;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A lane's tokens in the provider's batch queue (prompt estimates plus max_tokens of its open batches and of the
 * batch being submitted) against the enqueued-token limit: the configured one, or a lower one the provider's
 * {@code token_limit_exceeded} showed. After such a refusal nothing more goes until one of the lane's batches
 * ends (the provider's queue holds others' batches too), or, with none open, after a wait that doubles from
 * {@code poll} up to {@value #MAX_WAIT_MILLIS} ms: never a loop of failing submissions. Not thread-safe.
 */
final class EnqueuedTokens {
    /** The longest wait after {@code token_limit_exceeded} with no batch of the lane's own open. */
    static final long MAX_WAIT_MILLIS = 3_600_000;
    private static final Pattern PROVIDER_LIMIT = Pattern.compile("Limit: ([0-9][0-9,]*)");

    private final long configured;
    private final long pollMillis;
    private long enqueued;
    /** After token_limit_exceeded: nothing more until fewer than this many are enqueued; 0 when not blocked. */
    private long blockedAbove;
    /** The provider's limit as its refusals showed it; 0 before any. */
    private long learnt;
    private long waitMillis;

    EnqueuedTokens(BatchLaneSettings settings) {
        this.configured = settings.hasEnqueuedTokenLimit() ? settings.enqueuedTokens() : 0;
        this.pollMillis = settings.poll().toMillis();
    }

    long enqueued() {
        return enqueued;
    }

    void add(long tokens) {
        enqueued += tokens;
    }

    /** Tokens left the queue: their batch ended, or was never submitted. */
    void release(long tokens) {
        enqueued -= tokens;
        if (blockedAbove > 0 && enqueued < blockedAbove) {
            blockedAbove = 0;
        }
    }

    /** Whether a refusal holds submissions back until a batch of the lane ends. */
    boolean blocked() {
        return blockedAbove > 0 && enqueued >= blockedAbove;
    }

    /** Whether a line of {@code tokens} joins a batch of {@code cut} tokens so far; the first line of an empty queue always does. */
    boolean fits(long cut, long tokens) {
        long limit = limit();
        return limit == 0 || enqueued + cut + tokens <= limit || (cut == 0 && enqueued == 0);
    }

    /**
     * A batch of {@code refusedTokens} was refused for {@code token_limit_exceeded} (its tokens already released):
     * learns the limit (the number in the message, "Limit: 2,000,000 enqueued tokens" as OpenAI writes it, else
     * less than what was open plus the refused batch) and returns until when submissions wait; 0 when they wait
     * for a batch of the lane to end instead.
     */
    long refused(String message, long refusedTokens, long nowMillis) {
        Matcher limit = PROVIDER_LIMIT.matcher(message == null ? "" : message);
        long shown = limit.find() ? Long.parseLong(limit.group(1).replace(",", "")) : enqueued + refusedTokens - 1;
        if (shown > 0) {
            learnt = learnt == 0 ? shown : Math.min(learnt, shown);
        }
        if (enqueued > 0) {
            blockedAbove = enqueued;
            return 0;
        }
        blockedAbove = 0;
        waitMillis = waitMillis == 0 ? pollMillis : Math.min(MAX_WAIT_MILLIS, waitMillis * 2);
        return nowMillis + waitMillis;
    }

    /** A batch ended: the provider's queue moves, the next refusal waits from the start again. */
    void batchEnded() {
        waitMillis = 0;
    }

    /** The tokens batches are cut to: the configured limit, or a lower one the provider showed; 0 = none. */
    long limit() {
        if (learnt == 0) {
            return configured;
        }
        return configured == 0 ? learnt : Math.min(configured, learnt);
    }
}
