package io.llmstream.measure;

import org.apache.flink.metrics.Gauge;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * A gauge of how much of a per-minute limit was used lately: the growth of a running total (requests
 * or tokens admitted) per minute over the last ten seconds or so, as a share of the limit. Samples are
 * taken when the gauge is read, so the figure spans the reads of the last ten seconds; -1 when the
 * limit is not set.
 */
public final class RecentUtilization implements Gauge<Double> {
    private static final long SPAN_NANOS = 10_000_000_000L;
    private static final long MIN_SPAN_NANOS = 1_000_000_000L;

    private final LongSupplier total;
    private final double limitPerMinute;
    private final LongSupplier nanoClock;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private double last;

    public RecentUtilization(LongSupplier total, double limitPerMinute) {
        this(total, limitPerMinute, System::nanoTime);
    }

    RecentUtilization(LongSupplier total, double limitPerMinute, LongSupplier nanoClock) {
        this.total = total;
        this.limitPerMinute = limitPerMinute;
        this.nanoClock = nanoClock;
        samples.add(new long[] {nanoClock.getAsLong(), total.getAsLong()});
    }

    @Override
    public synchronized Double getValue() {
        if (limitPerMinute <= 0) {
            return -1.0;
        }
        long now = nanoClock.getAsLong();
        long value = total.getAsLong();
        samples.addLast(new long[] {now, value});
        // Keep the newest sample that is at least SPAN old as the base, and nothing older.
        while (samples.size() > 2 && now - secondOldest()[0] >= SPAN_NANOS) {
            samples.pollFirst();
        }
        long[] base = samples.peekFirst();
        long elapsed = now - base[0];
        if (elapsed >= MIN_SPAN_NANOS) {
            last = (value - base[1]) * 60e9 / elapsed / limitPerMinute;
        }
        return last;
    }

    private long[] secondOldest() {
        var iterator = samples.iterator();
        iterator.next();
        return iterator.next();
    }
}
