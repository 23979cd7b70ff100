package io.llmstream.measure;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

import java.util.function.LongSupplier;

/**
 * A Flink {@link Histogram} of milliseconds over the recent past: values go into the current interval's
 * {@link LatencyHistogram}, and statistics cover the current and the previous interval, so a reporter
 * always sees between one and two intervals of data (one to two minutes by default) in bounded memory
 * and with the {@link LatencyHistogram}'s accuracy (exact below 128 ms, within 0.8% above).
 * {@link #getCount()} counts every value ever recorded, as Flink expects.
 *
 * <p>Thread-safe: the task thread records while a reporter thread reads.
 */
public final class RollingHistogram implements Histogram {
    /** The default interval. */
    public static final long DEFAULT_INTERVAL_NANOS = 60_000_000_000L;

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private LatencyHistogram current = new LatencyHistogram();
    private LatencyHistogram previous = new LatencyHistogram();
    private long currentStartedNanos;
    private long count;

    public RollingHistogram() {
        this(DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    RollingHistogram(long intervalNanos, LongSupplier nanoClock) {
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.currentStartedNanos = nanoClock.getAsLong();
    }

    @Override
    public synchronized void update(long valueMillis) {
        roll();
        current.record(valueMillis);
        count++;
    }

    @Override
    public synchronized long getCount() {
        return count;
    }

    @Override
    public synchronized HistogramStatistics getStatistics() {
        roll();
        LatencyHistogram recent = new LatencyHistogram();
        recent.merge(previous);
        recent.merge(current);
        return new Statistics(recent);
    }

    private void roll() {
        long now = nanoClock.getAsLong();
        long elapsed = now - currentStartedNanos;
        if (elapsed < intervalNanos) {
            return;
        }
        // A whole idle interval or more: nothing recent is left.
        previous = elapsed < 2 * intervalNanos ? current : new LatencyHistogram();
        current = new LatencyHistogram();
        currentStartedNanos = now - elapsed % intervalNanos;
    }

    /** A snapshot's statistics; values are bucket midpoints, so the mean and deviation are as exact as the buckets. */
    private static final class Statistics extends HistogramStatistics {
        private final LatencyHistogram histogram;

        Statistics(LatencyHistogram histogram) {
            this.histogram = histogram;
        }

        @Override
        public double getQuantile(double quantile) {
            return histogram.total == 0 ? 0 : histogram.quantile(quantile);
        }

        /** The values are not kept; an empty array (reporters of percentiles do not need them). */
        @Override
        public long[] getValues() {
            return new long[0];
        }

        @Override
        public int size() {
            return (int) Math.min(Integer.MAX_VALUE, histogram.total);
        }

        @Override
        public double getMean() {
            return histogram.total == 0 ? 0 : histogram.mean();
        }

        @Override
        public double getStdDev() {
            return histogram.total == 0 ? 0 : histogram.stdDev();
        }

        @Override
        public long getMax() {
            return histogram.total == 0 ? 0 : histogram.max;
        }

        @Override
        public long getMin() {
            return histogram.total == 0 ? 0 : histogram.min;
        }
    }
}
