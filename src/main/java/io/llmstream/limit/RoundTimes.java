package io.llmstream.limit;

import java.util.Arrays;

/**
 * The times of one round of the adaptive concurrency's answers: to the first token (to the whole answer for a
 * plain one) and to the end. {@link #close} sorts them once; the statistics read the sorted round. Not
 * thread-safe.
 */
final class RoundTimes {
    private long[] firstTokens;
    private long[] durations;
    private int count;

    RoundTimes(int expected) {
        firstTokens = new long[expected];
        durations = new long[expected];
    }

    void add(long firstTokenMicros, long durationMicros) {
        if (count == firstTokens.length) {
            firstTokens = Arrays.copyOf(firstTokens, count * 2);
            durations = Arrays.copyOf(durations, count * 2);
        }
        firstTokens[count] = Math.max(0, firstTokenMicros);
        durations[count] = Math.max(0, durationMicros);
        count++;
    }

    int count() {
        return count;
    }

    /** Sorts the round's times for the statistics below; call once the round has all its answers. */
    void close() {
        Arrays.sort(firstTokens, 0, count);
        Arrays.sort(durations, 0, count);
    }

    /** The round's level: the mean first token of its fastest three quarters, so a few stragglers do not count. */
    long level() {
        return fastestMean(count - count / 4);
    }

    /** The mean first token of the round's fastest quarter: the first round's stand-in for the unloaded level. */
    long fastestQuarter() {
        return fastestMean(count / 4);
    }

    long fastestFirstToken() {
        return firstTokens[0];
    }

    long medianDuration() {
        return durations[count / 2];
    }

    /** Starts the next round. */
    void clear() {
        count = 0;
    }

    /** The mean of the {@code fastest} fastest times to the first token; at least one. */
    private long fastestMean(int fastest) {
        int counted = Math.max(1, fastest);
        long sum = 0;
        for (int i = 0; i < counted; i++) {
            sum += firstTokens[i];
        }
        return sum / counted;
    }
}
