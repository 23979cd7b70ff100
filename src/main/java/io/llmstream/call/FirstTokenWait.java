package io.llmstream.call;

import io.llmstream.config.CallSettings;

import java.time.Duration;
import java.util.Arrays;

/**
 * How long an attempt on one model waits for its first token: {@value CallSettings.FirstTokenWait#P99_MULTIPLIER}
 * times the p99 of the model's latest {@value #WINDOW} times to first token, at least
 * {@link CallSettings.FirstTokenWait#MIN_WAIT}, at most {@code call.first-token-timeout}; the maximum
 * until the model has answered {@value CallSettings.FirstTokenWait#MIN_SAMPLES} times. A hung request then
 * costs a few of the model's usual first-token times instead of the whole attempt timeout, while a model
 * that is slow to start (a reasoning model, a loaded server) raises its own wait. Thread-safe.
 */
final class FirstTokenWait {
    /** The latest answers that count. */
    static final int WINDOW = 200;
    /** The p99 is recomputed after this many new answers, not for every request. */
    private static final int RECOMPUTE_EVERY = 10;

    private final long maxNanos;
    private final long[] samples = new long[WINDOW];
    private int count;
    private int next;
    private int sinceRecompute;
    private volatile long waitNanos;

    FirstTokenWait(Duration max) {
        this.maxNanos = max.toNanos();
        this.waitNanos = maxNanos;
    }

    /** Records the time to first token of a streamed answer. */
    synchronized void record(long millis) {
        samples[next] = millis;
        next = (next + 1) % WINDOW;
        count = Math.min(WINDOW, count + 1);
        if (count >= CallSettings.FirstTokenWait.MIN_SAMPLES && ++sinceRecompute >= RECOMPUTE_EVERY
                || count == CallSettings.FirstTokenWait.MIN_SAMPLES) {
            sinceRecompute = 0;
            long p99 = p99();
            long adaptive = Duration.ofMillis(p99 * CallSettings.FirstTokenWait.P99_MULTIPLIER).toNanos();
            waitNanos = Math.min(maxNanos, Math.max(CallSettings.FirstTokenWait.MIN_WAIT.toNanos(), adaptive));
        }
    }

    /** The wait for the next attempt. */
    Duration current() {
        return Duration.ofNanos(waitNanos);
    }

    /**
     * The p99 of the samples, the value at rank ceil(0.99 n) in ascending order: the smallest of the few
     * largest samples (three of a full window), found in one pass instead of sorting the window.
     */
    private long p99() {
        int rank = Math.min(count - 1, (int) Math.ceil(count * 0.99) - 1);
        int largest = count - rank;
        long[] top = new long[largest];
        Arrays.fill(top, Long.MIN_VALUE);
        for (int i = 0; i < count; i++) {
            long sample = samples[i];
            if (sample > top[largest - 1]) {
                int at = largest - 1;
                while (at > 0 && top[at - 1] < sample) {
                    top[at] = top[at - 1];
                    at--;
                }
                top[at] = sample;
            }
        }
        return top[largest - 1];
    }
}
