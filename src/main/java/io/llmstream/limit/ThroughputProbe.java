package io.llmstream.limit;

/**
 * Whether more in flight completes more: now and then, the adaptive limit of a model whose requests are held
 * back, and whose answers take at most {@value #MAX_ANSWER_MILLIS} ms, is doubled, and kept if the rate of
 * completions under it is at least {@value #GAIN} times the rate before (a window measured under this limit or
 * a lower one). A server that completes no more goes back, and the next probe waits twice as long (up to
 * {@value #MAX_BACKOFF} times {@value #EVERY_MILLIS} ms, and at least {@value #QUIET_PER_PROBE} times as long as
 * the probe took: at a server this fast a probe costs a queue of milliseconds); a client short of CPU completes more, and the
 * limit doubles again at once, as TCP's slow start does while nothing is lost. Without it, the noise of a cold
 * JVM's first seconds, read as queueing, held a 1 ms server at 3 - 15 in flight for 20 s. The first probe
 * comes as soon as one window was measured. The rates are those of {@link CompletionRate}'s windows: the one
 * that closed before the probe, and the first that began under it. Not thread-safe.
 */
final class ThroughputProbe {
    static final double GAIN = 1.2;
    /**
     * Only models whose answers take at most this long (the median) are probed: a probe trades a queue for
     * throughput, and a queue costs a server that answers in milliseconds (a cache, a small model, the same
     * machine) a few milliseconds, but a generation server whole generations, which is what its adaptive limit
     * is there to spare its first tokens.
     */
    static final long MAX_ANSWER_MILLIS = 10;
    static final long MAX_ANSWER_MICROS = MAX_ANSWER_MILLIS * 1000;
    static final long EVERY_MILLIS = 1_000;
    static final int MAX_BACKOFF = 2;
    /** After a probe that found nothing, the next waits at least this many times as long as it took. */
    static final int QUIET_PER_PROBE = 5;
    private static final long EVERY_MICROS = EVERY_MILLIS * 1000;

    private final CompletionRate rate;
    /** The limit before the running probe; 0 when none runs. */
    private int from;
    private long windowsAtStart;
    private long startedAtMicros;
    private double rateBefore;
    /** The earliest start of the next probe; 0 once the first answer came (as soon as a window closed). */
    private long nextAtMicros = -1;
    private int backoff = 1;
    private boolean gained;

    /** @param rate the limit's rate of completions, which counts every answer */
    ThroughputProbe(CompletionRate rate) {
        this.rate = rate;
    }

    /** An answer came (and was counted in the rate). */
    void answered() {
        if (nextAtMicros < 0) {
            nextAtMicros = 0;
        }
    }

    boolean running() {
        return from > 0;
    }

    /** The limit to probe when a probe from {@code current} is due; 0 otherwise. */
    int startIfDue(int current, int ceiling, long nowMicros) {
        if (from > 0 || current >= ceiling || nextAtMicros < 0 || nowMicros < nextAtMicros || rate.windows() == 0) {
            return 0;
        }
        if (rate.lastMeanLimit() > current + 0.5) {
            // The rate before was measured under a higher limit: more in flight would not look like a gain.
            return 0;
        }
        from = current;
        windowsAtStart = rate.windows();
        startedAtMicros = nowMicros;
        rateBefore = rate.lastRate();
        return Math.min(ceiling, current * 2);
    }

    /**
     * At the end of a round while a probe runs: 0 while it still measures, else the limit to keep, the probed
     * one if it completed more ({@link #gained}) and the one before otherwise.
     */
    int verdict(int probed, long nowMicros) {
        // The first window after the start began under the old limit; the second under the probed one.
        if (from == 0 || rate.windows() < windowsAtStart + 2) {
            return 0;
        }
        gained = rate.lastRate() >= GAIN * rateBefore;
        int kept = gained ? probed : from;
        if (gained) {
            backoff = 1;
            nextAtMicros = nowMicros;
        } else {
            notGained(nowMicros);
        }
        from = 0;
        return kept;
    }

    /** Whether the latest probe completed more. */
    boolean gained() {
        return gained;
    }

    /** A probe cut short by overload counts as one that did not complete more. */
    void cancel(long nowMicros) {
        if (from > 0) {
            from = 0;
            gained = false;
            notGained(nowMicros);
        }
    }

    private void notGained(long nowMicros) {
        backoff = Math.min(MAX_BACKOFF, backoff * 2);
        nextAtMicros = nowMicros + Math.max(EVERY_MICROS * backoff, QUIET_PER_PROBE * (nowMicros - startedAtMicros));
    }
}
