package io.llmstream.local.mock;

import java.util.function.LongSupplier;

/**
 * The Batch API's time: the runtime's nano clock drives every lifecycle, and the Unix seconds of the Batch and
 * File objects are read from the same clock, so a state and its timestamp always agree.
 */
final class MockBatchClock {

    private final LongSupplier nanoClock;
    private final long baseNanos;
    private final long baseEpochMillis;

    /** A clock whose {@code nanoClock} reading now is the wall time {@code epochMillisNow}. */
    MockBatchClock(LongSupplier nanoClock, long epochMillisNow) {
        this.nanoClock = nanoClock;
        this.baseNanos = nanoClock.getAsLong();
        this.baseEpochMillis = epochMillisNow;
    }

    long now() {
        return nanoClock.getAsLong();
    }

    /** The Unix time in seconds of a reading of the nano clock. */
    long epochSeconds(long nanos) {
        return Math.floorDiv(baseEpochMillis + Math.floorDiv(nanos - baseNanos, 1_000_000L), 1000L);
    }
}
