package io.llmstream.limit;

/**
 * Completions per second over windows of at least {@value #MIN_EVENTS} answers and {@value #MIN_MILLIS} ms,
 * whatever the adaptive limit's rounds are: a round is as small as the limit, and the rate of a few answers
 * is noise (biased high, as answers come in bursts). Not thread-safe.
 */
final class CompletionRate {
    static final int MIN_EVENTS = 32;
    static final long MIN_MILLIS = 100;
    private static final long MIN_MICROS = MIN_MILLIS * 1000;

    private long windowStartMicros = -1;
    private int answers;
    private long windows;
    private double lastRate;
    private long limitSum;
    private double lastMeanLimit;

    /** Counts an answer that came now, under a limit of {@code limit} in flight. */
    void answered(long nowMicros, int limit) {
        if (windowStartMicros < 0) {
            windowStartMicros = nowMicros;
            answers = 0;
            limitSum = 0;
            return;
        }
        answers++;
        limitSum += limit;
        long elapsed = nowMicros - windowStartMicros;
        if (answers < MIN_EVENTS || elapsed < MIN_MICROS) {
            return;
        }
        lastRate = answers * 1e6 / elapsed;
        lastMeanLimit = limitSum / (double) answers;
        limitSum = 0;
        windows++;
        // The answer that closes this window opens the next one.
        windowStartMicros = nowMicros;
        answers = 0;
    }

    /** Windows closed so far. */
    long windows() {
        return windows;
    }

    /** The mean limit its answers came under in the latest window closed. */
    double lastMeanLimit() {
        return lastMeanLimit;
    }

    /** The rate of the latest window closed, answers per second; 0 before the first. */
    double lastRate() {
        return lastRate;
    }
}
