package io.llmstream.limit;

/**
 * A level measured under load can be taken for the unloaded one: at the start (cold servers and clients
 * answer slowly at first) or when the server got faster. After {@value #AFTER_ROUNDS} rounds and
 * {@value #AFTER_SECONDS} s without a level near the unloaded one, one round runs at half the limit to measure
 * it again, as TCP's BBR measures its round-trip time; each probe that finds it right doubles the wait for the
 * next (up to {@value #MAX_BACKOFF} times), so a server whose times are simply higher under load (batched
 * decoding) is not held at half its slots again and again. Not thread-safe.
 */
final class UnloadedProbe {
    static final int AFTER_ROUNDS = 3;
    static final long AFTER_SECONDS = 1;
    /** A probe round whose level is at least this share of the unloaded one found it right. */
    static final double CONFIRMS = 0.9;
    /** The waits between probes that keep finding the unloaded level right grow up to this many times. */
    static final int MAX_BACKOFF = 32;
    /** A round whose level is within this of the unloaded level (plus the slack) is near it. */
    static final double NEAR_UNLOADED = 1.25;
    /**
     * A probe round at half the limit whose level is at least this share of the lowest of the rounds before it
     * waited as long with half as many in flight: the wait is no queue of the limit's making.
     */
    static final double AS_LONG = 0.75;
    private static final long AFTER_MICROS = AFTER_SECONDS * 1_000_000;

    private final long slackMicros;
    /** Rounds, and since when, without a level near the unloaded one. */
    private int roundsAway;
    private long awaySinceMicros = -1;
    /** The limit to go back to after the probe round; 0 when none runs. */
    private double limitBefore;
    /** The unloaded level when the probe began, and how many times longer the next probe waits. */
    private long unloadedBefore;
    private int backoff = 1;
    /** The lowest level of the rounds away from the unloaded one; kept through the probe round, which ends it. */
    private long lowestAway = Long.MAX_VALUE;
    private boolean waitedAsLong;

    UnloadedProbe(long slackMicros) {
        this.slackMicros = slackMicros;
    }

    /** Whether the round now ending ran at half the limit to measure the unloaded level. */
    boolean running() {
        return limitBefore > 0;
    }

    /** Ends the probe round with its level (-1 if it had no answers); returns the limit to go back to. */
    double end(long level) {
        double back = limitBefore;
        limitBefore = 0;
        boolean confirmed = level < 0 || level >= CONFIRMS * unloadedBefore;
        waitedAsLong = level >= 0 && level >= AS_LONG * lowestAway;
        lowestAway = Long.MAX_VALUE;
        // A wait that half as many in flight did not shorten is measured again soon, as the limit rises.
        backoff = confirmed && !waitedAsLong ? Math.min(MAX_BACKOFF, backoff * 2) : 1;
        return back;
    }

    /**
     * Whether the probe that just ended waited about as long with half as many in flight as the rounds before
     * with all of them (the lowest of their levels): the long times are not a queue that the limit makes (a
     * server's would halve at least), but a client short of CPU while its JIT compiles, or a provider's own
     * times. Fewer in flight would only complete less.
     */
    boolean waitedAsLong() {
        return waitedAsLong;
    }

    /** After a round of this level: the limit for the next, half of {@code limit} when a probe is due. */
    double next(double limit, long level, long unloaded, long nowMicros) {
        if (level <= NEAR_UNLOADED * unloaded + slackMicros) {
            roundsAway = 0;
            awaySinceMicros = -1;
            lowestAway = Long.MAX_VALUE;
            return limit;
        }
        lowestAway = Math.min(lowestAway, level);
        if (awaySinceMicros < 0) {
            awaySinceMicros = nowMicros;
        }
        // After a probe that waited as long, the next comes after rounds alone: the limit doubles at each.
        long afterMicros = waitedAsLong ? 0 : AFTER_MICROS * backoff;
        if (++roundsAway < AFTER_ROUNDS * backoff || nowMicros - awaySinceMicros < afterMicros || limit < 2) {
            return limit;
        }
        limitBefore = limit;
        unloadedBefore = unloaded;
        roundsAway = 0;
        awaySinceMicros = -1;
        return Math.max(1, Math.floor(limit / 2));
    }
}
