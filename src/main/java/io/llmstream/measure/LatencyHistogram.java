package io.llmstream.measure;

import java.util.Arrays;

/**
 * A mergeable histogram of millisecond values in bounded memory, exact below 128 ms and within 0.8%
 * above (64 buckets per power of two), so percentiles of merged windows are as good as those of one
 * window: histograms are merged, never percentiles averaged.
 *
 * <p>A Flink POJO: public fields and a public no-argument constructor.
 */
public final class LatencyHistogram {
    private static final int EXACT_LIMIT = 128;
    private static final int SUB_BUCKET_BITS = 6;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;

    /** Counts by bucket index; grows up to the largest index seen. */
    public int[] counts = new int[0];
    public long total;
    public long min = Long.MAX_VALUE;
    public long max;

    public void record(long valueMillis) {
        long value = Math.max(0, valueMillis);
        int index = indexOf(value);
        if (index >= counts.length) {
            counts = Arrays.copyOf(counts, Math.max(index + 1, counts.length * 3 / 2));
        }
        counts[index]++;
        total++;
        min = Math.min(min, value);
        max = Math.max(max, value);
    }

    public void merge(LatencyHistogram other) {
        if (other.counts.length > counts.length) {
            counts = Arrays.copyOf(counts, other.counts.length);
        }
        for (int i = 0; i < other.counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    /**
     * The value at a quantile in [0, 1]: the smallest recorded value such that at least that fraction
     * of values are at or below it, reported as its bucket's midpoint clamped to the recorded range.
     * 0 for an empty histogram.
     */
    public long quantile(double quantile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.max(min, Math.min(max, midpointOf(i)));
            }
        }
        return max;
    }

    /** The mean of the bucket midpoints; 0 for an empty histogram. */
    public double mean() {
        if (total == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < counts.length; i++) {
            sum += (double) counts[i] * midpointOf(i);
        }
        return sum / total;
    }

    /** The standard deviation of the bucket midpoints; 0 for an empty histogram. */
    public double stdDev() {
        if (total == 0) {
            return 0;
        }
        double mean = mean();
        double squares = 0;
        for (int i = 0; i < counts.length; i++) {
            double deviation = midpointOf(i) - mean;
            squares += counts[i] * deviation * deviation;
        }
        return Math.sqrt(squares / total);
    }

    static int indexOf(long value) {
        if (value < EXACT_LIMIT) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int shift = exponent - SUB_BUCKET_BITS;
        int subBucket = (int) (value >>> shift) - SUB_BUCKETS;
        return EXACT_LIMIT + (exponent - 7) * SUB_BUCKETS + subBucket;
    }

    static long lowerBoundOf(int index) {
        if (index < EXACT_LIMIT) {
            return index;
        }
        int exponent = (index - EXACT_LIMIT) / SUB_BUCKETS + 7;
        int subBucket = (index - EXACT_LIMIT) % SUB_BUCKETS;
        return (long) (SUB_BUCKETS + subBucket) << (exponent - SUB_BUCKET_BITS);
    }

    static long midpointOf(int index) {
        if (index < EXACT_LIMIT) {
            return index;
        }
        long lower = lowerBoundOf(index);
        long upper = lowerBoundOf(index + 1);
        return (lower + upper - 1) / 2;
    }
}
