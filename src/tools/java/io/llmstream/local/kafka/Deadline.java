package io.llmstream.local.kafka;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A point in time that several waits share, so a multi-step wait (start, then answer clients;
 * create, then get leaders) is bounded as a whole. Interrupts and timeouts become
 * {@link IllegalStateException}s that say what was awaited.
 */
final class Deadline {

    private final Duration timeout;
    private final long deadlineNanos;

    private Deadline(Duration timeout) {
        this.timeout = timeout;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    static Deadline after(Duration timeout) {
        return new Deadline(timeout);
    }

    boolean passed() {
        return System.nanoTime() - deadlineNanos >= 0;
    }

    /** What is left, at least one millisecond, for APIs that take their own timeout. */
    int remainingMillis() {
        long millis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, millis));
    }

    /**
     * The future's value, if it completes in time.
     *
     * @param what what is awaited, completing "waiting for ..."
     * @throws ExecutionException if the future failed; the caller knows which failures are fine
     */
    <T> T await(Future<T> future, String what) throws ExecutionException {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        } catch (TimeoutException e) {
            throw timedOut(what);
        }
    }

    /** Waits a little before polling again, or fails if the deadline has passed. */
    void pause(Duration interval, String what) {
        if (passed()) {
            throw timedOut(what);
        }
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
    }

    private IllegalStateException timedOut(String what) {
        return new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
    }
}
