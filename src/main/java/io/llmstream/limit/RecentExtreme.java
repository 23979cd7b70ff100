package io.llmstream.limit;

/**
 * The lowest (or highest) value seen over the current window and the one before it, so that a value is
 * forgotten one to two windows after it was seen: the adaptive concurrency's unloaded level, fastest first
 * token and best rate follow a server that changes. Not thread-safe.
 */
final class RecentExtreme {
    private final long windowMicros;
    private final boolean lowest;
    private final double none;
    private double current;
    private double previous;
    private long windowStartMicros;
    private boolean started;

    private RecentExtreme(long windowMicros, boolean lowest) {
        this.windowMicros = windowMicros;
        this.lowest = lowest;
        this.none = lowest ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        this.current = none;
        this.previous = none;
    }

    static RecentExtreme lowest(long windowMicros) {
        return new RecentExtreme(windowMicros, true);
    }

    static RecentExtreme highest(long windowMicros) {
        return new RecentExtreme(windowMicros, false);
    }

    /** Adds a value seen now; returns the extreme of the current and the previous window, this value included. */
    double add(double value, long nowMicros) {
        if (!started || nowMicros - windowStartMicros >= windowMicros) {
            started = true;
            previous = current;
            current = none;
            windowStartMicros = nowMicros;
        }
        current = lowest ? Math.min(current, value) : Math.max(current, value);
        return lowest ? Math.min(current, previous) : Math.max(current, previous);
    }
}
