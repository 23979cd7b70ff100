package io.llmstream.call;

import io.llmstream.config.RetrySettings;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time below
 * min(max, initial × multiplier^(n-1)), which spreads retries of many failed requests apart instead
 * of sending them back in a wave.
 */
public final class Backoff {
    private final RetrySettings settings;

    public Backoff(RetrySettings settings) {
        this.settings = settings;
    }

    /** The upper bound of the wait before retry number {@code retry} (1 for the first retry). */
    public Duration bound(int retry) {
        double bound = settings.initialBackoff().toMillis() * Math.pow(settings.multiplier(), retry - 1);
        return Duration.ofMillis((long) Math.min(bound, settings.maxBackoff().toMillis()));
    }

    /** A random wait before retry number {@code retry}. */
    public Duration delay(int retry) {
        long bound = bound(retry).toMillis();
        return Duration.ofMillis(bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1));
    }
}
