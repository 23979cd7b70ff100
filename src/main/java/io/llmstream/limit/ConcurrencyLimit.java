package io.llmstream.limit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many requests of one model (in one budget shard) may be at its server at once: a fixed number, or
 * the server's own concurrency, found from how long the server takes to start answering.
 *
 * <p>Self-hosted servers (vLLM, TGI, Ollama, llama.cpp) do not answer 429 when they are full: they queue,
 * and the time to the first token grows by whole service times. The adaptive limit works in rounds of at
 * least {@value #MIN_ROUND_SAMPLES} answers (and at least the limit). A round's level is the mean time to
 * the first token (the whole answer's time for plain answers) of its fastest three quarters, so a few
 * stragglers do not count; a round whose level is more than {@value #TOLERANCE} times the server's
 * unloaded level plus {@value #SLACK_MILLIS} ms queued. Past its slots, a server that queues in arrival
 * order makes every request wait, for (in flight - slots) / slots service times, so the level shows it
 * at once; a provider whose times vary threefold from request to request (OpenAI's do) keeps its level.
 * The unloaded level is the lowest round level over the last one to two
 * {@value #BASELINE_WINDOW_SECONDS}-second windows, so it follows a server that got slower. The limit starts
 * at {@value #INITIAL}; the first round's fastest quarter stands for the unloaded level, as the first
 * requests reach an idle server and a server with fewer slots serves them first. A round at half the limit that
 * waits as long as the rounds before shows no queue of the limit's making ({@link UnloadedProbe#waitedAsLong}):
 * the limit doubles and holds. A round that queued steps back to the highest limit that did
 * not (or, without one, cuts the limit in proportion to the excess, at most by half); a round that did not
 * queue and was held back by the limit raises it: doubling while below the last good limit or before any
 * queueing was seen, one at a time below the limit that queued, and one step past it only every
 * {@value #PROBE_EVERY_ROUNDS} rounds, a probe that finds the server grown. A limit that queued is
 * forgotten after {@value #FORGET_QUEUEING_SECONDS} s.
 *
 * <p>Longer times are not always a queue: a server that works many requests at once, or a client short of
 * CPU, completes more the more it has in flight, and each answer takes longer. So a cut for queueing never
 * goes below {@value #BANDWIDTH_DELAY_MULTIPLE} times the best recent rate of completions times the fastest
 * recent first token (what that rate needs in flight, as TCP's BBR sizes its window; the fastest token, not
 * the unloaded level, which a cold start can inflate), a cut after which the next round
 * held back completes less than {@value #THROUGHPUT_KEPT} of the rate before (rounds of at least
 * {@value #MIN_THROUGHPUT_EVENTS} requests) is undone, with no cut below that limit for a minute (a cut to one
 * in flight in smaller rounds, once {@value #MIN_THROUGHPUT_EVENTS} answers at one are in, when they came at
 * less than {@value CutToOne#KEPT} of the rate before: llama-server's two slots make their first tokens later
 * when both work, and one in flight halves what it completes); and a limit
 * that holds requests back is doubled now and then to see whether more complete ({@link ThroughputProbe}):
 * rounds as small as a few requests say nothing about the rate, and noise a few rounds in a hundred read
 * as queueing would otherwise hold a fast server at the few requests a cold start left it.
 *
 * <p>Overload signals cut the limit by a quarter at the end of a round in which at least
 * {@value #OVERLOAD_SHARE} of the requests met one (fewer are chance faults of a healthy server): 429 and
 * 503 (a server or gateway that sheds load), connections refused or reset, and first-token timeouts of a
 * server that stopped answering. Other failures (a 500, a malformed answer, a refused prompt) say nothing
 * about load and are not samples.
 *
 * <p>It starts at {@value #INITIAL} and never leaves [floor, ceiling]: the ceiling is {@code call.capacity};
 * the floor, for a model with a request or token rate limit, is twice what Little's law needs for that
 * rate at the answers' median time, so the limit never holds a provider's published rate back.
 *
 * <p>Not thread-safe: its {@link ModelDispatcher} guards it.
 */
final class ConcurrencyLimit {
    static final int INITIAL = 4;
    static final int MIN_ROUND_SAMPLES = 6;
    static final double TOLERANCE = 2.0;
    static final long SLACK_MILLIS = 1;
    static final double OVERLOAD_DECREASE = 0.75;
    /** A cut for queueing is undone when the next round held back completes less than this share of the rate before. */
    static final double THROUGHPUT_KEPT = 0.9;
    /** Rates are compared only over rounds of at least this many requests; smaller ones are too noisy. */
    static final int MIN_THROUGHPUT_EVENTS = 16;
    /** Queueing never cuts below this many times the best recent rate of completions times the fastest first token. */
    static final double BANDWIDTH_DELAY_MULTIPLE = 8;
    /** The share of a round's requests with a sign of overload that cuts the limit; fewer are chance faults. */
    static final double OVERLOAD_SHARE = 0.1;
    static final long BASELINE_WINDOW_SECONDS = 30;
    static final int PROBE_EVERY_ROUNDS = 8;
    static final long FORGET_QUEUEING_SECONDS = 60;

    private static final long SLACK_MICROS = SLACK_MILLIS * 1000;
    private static final long BASELINE_WINDOW_MICROS = BASELINE_WINDOW_SECONDS * 1_000_000;
    private static final long FORGET_QUEUEING_MICROS = FORGET_QUEUEING_SECONDS * 1_000_000;
    private static final int NONE = Integer.MAX_VALUE;

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrencyLimit.class);
    private final int ceiling;
    private final boolean adaptive;
    private double limit;
    private int inFlight;

    private final RoundTimes round = new RoundTimes(MIN_ROUND_SAMPLES);
    /** Answers still to come from requests sent before the last cut: they waited under the old limit. */
    private int staleAnswers;
    /** Requests of the round that ended with a sign of overload; they count toward the round's size. */
    private int roundOverloads;
    private boolean roundHeldBack;
    private int roundMostInFlight;

    private final RecentExtreme unloadedLevel = RecentExtreme.lowest(BASELINE_WINDOW_MICROS);
    private final RecentExtreme fastestFirstToken = RecentExtreme.lowest(BASELINE_WINDOW_MICROS);
    /** The best rate of completions of a round of enough requests, per second. */
    private final RecentExtreme bestThroughput = RecentExtreme.highest(BASELINE_WINDOW_MICROS);
    private final CompletionRate completionRate = new CompletionRate();
    private final ThroughputProbe throughputProbe = new ThroughputProbe(completionRate);
    private long medianDurationMicros;

    private int lastGood;
    private int queueingAt = NONE;
    private long queueingSeenAtMicros;
    private int roundsSinceProbe;
    private long rounds;
    private final UnloadedProbe unloadedProbe = new UnloadedProbe(SLACK_MICROS);
    /** When the round's first counted event came; for the round's rate of completions. */
    private long roundFirstEventMicros = -1;
    /** The limit before the latest cut for queueing, and the rate of that round, until the next round judges it. */
    private int cutFromLimit;
    private double cutFromThroughput;
    /** A limit below which a cut cost throughput, and since when; queueing cuts never go below it for a while. */
    private int throughputFloor;
    private long throughputFloorSetAtMicros;
    private final CutToOne cutToOne = new CutToOne();


    /** An adaptive limit up to {@code ceiling}. */
    static ConcurrencyLimit adaptive(int ceiling) {
        return new ConcurrencyLimit(ceiling, true);
    }

    /** A fixed limit. */
    static ConcurrencyLimit fixed(int limit) {
        return new ConcurrencyLimit(limit, false);
    }

    private ConcurrencyLimit(int ceiling, boolean adaptive) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("a concurrency limit must be at least 1, was " + ceiling);
        }
        this.ceiling = ceiling;
        this.adaptive = adaptive;
        this.limit = adaptive ? Math.min(INITIAL, ceiling) : ceiling;
    }

    /** Whether one more request may go now; if so it counts as in flight until {@link #ended}. */
    boolean tryAcquire() {
        if (inFlight >= current()) {
            roundHeldBack = true;
            return false;
        }
        inFlight++;
        roundMostInFlight = Math.max(roundMostInFlight, inFlight);
        return true;
    }

    /** A request that was let out ended without telling anything about the server's load. */
    void ended() {
        inFlight = Math.max(0, inFlight - 1);
    }

    /**
     * A request answered.
     *
     * @param firstTokenMicros from sending to the first token; for a plain answer, to the whole answer
     * @param durationMicros from sending to the end of the answer
     * @param requestsPerSecond the model's request rate limit in this shard; 0 when it has none
     */
    void answered(long firstTokenMicros, long durationMicros, double requestsPerSecond, long nowMicros) {
        if (adaptive) {
            completionRate.answered(nowMicros, current());
            throughputProbe.answered();
        }
        if (!endedAndCounts()) {
            return;
        }
        round.add(firstTokenMicros, durationMicros);
        noteEvent(nowMicros);
        endRoundIfDue(requestsPerSecond, nowMicros);
    }

    /** A request ended with a sign of overload (429, 503, a refused or reset connection, a stopped server). */
    void overloaded(double requestsPerSecond, long nowMicros) {
        if (!endedAndCounts()) {
            return;
        }
        roundOverloads++;
        noteEvent(nowMicros);
        endRoundIfDue(requestsPerSecond, nowMicros);
    }

    /**
     * Frees the ended request's place; whether it counts in the round: the limit adapts and the request was
     * sent under the current limit (not one of the answers still to come from before the latest change).
     */
    private boolean endedAndCounts() {
        ended();
        if (!adaptive) {
            return false;
        }
        if (staleAnswers > 0) {
            staleAnswers--;
            return false;
        }
        return true;
    }

    /** The number of requests that may be in flight now. */
    int current() {
        return Math.max(1, (int) limit);
    }

    int inFlight() {
        return inFlight;
    }

    /** Rounds finished, for tests. */
    long rounds() {
        return rounds;
    }

    boolean isAdaptive() {
        return adaptive;
    }

    private void endRoundIfDue(double requestsPerSecond, long nowMicros) {
        int events = round.count() + roundOverloads;
        if (events < Math.max(MIN_ROUND_SAMPLES, current())) {
            return;
        }
        rounds++;
        int before = current();
        boolean overloaded = roundOverloads >= OVERLOAD_SHARE * events;
        long level = -1;
        long unloaded = -1;
        long fastest = 0;
        boolean queued = false;
        // Between the round's first and last counted answers: the answers of requests sent before a change, which
        // do not count, do not count in its time either.
        double throughput = nowMicros > roundFirstEventMicros ? (events - 1) * 1e6 / (nowMicros - roundFirstEventMicros)
                : 0;
        // Rates of small rounds are too noisy to be the best.
        double best = Math.max(0, bestThroughput.add(events >= MIN_THROUGHPUT_EVENTS ? throughput : 0, nowMicros));
        boolean revert = false;
        if (cutFromLimit > 0 && !unloadedProbe.running()) {
            if (roundHeldBack && !overloaded && events >= MIN_THROUGHPUT_EVENTS) {
                revert = throughput < THROUGHPUT_KEPT * cutFromThroughput;
            }
            cutFromLimit = revert ? cutFromLimit : 0;
        }
        int backFromOne = 0;
        if (cutToOne.pending()) {
            if (before != 1 || overloaded || unloadedProbe.running()) {
                cutToOne.forget();
            } else if (staleAnswers == 0 && roundFirstEventMicros >= 0) {
                backFromOne = cutToOne.judge(events, nowMicros - roundFirstEventMicros, roundHeldBack,
                        MIN_THROUGHPUT_EVENTS);
            }
        }
        if (throughputFloor > 0 && nowMicros - throughputFloorSetAtMicros > FORGET_QUEUEING_MICROS) {
            throughputFloor = 0;
        }
        if (round.count() > 0) {
            round.close();
            level = round.level();
            fastest = (long) fastestFirstToken.add(round.fastestFirstToken(), nowMicros);
            medianDurationMicros = round.medianDuration();
            unloaded = (long) unloadedLevel.add(rounds == 1 ? round.fastestQuarter() : level, nowMicros);
            queued = level > TOLERANCE * unloaded + SLACK_MICROS;
        }
        if (queueingAt != NONE && nowMicros - queueingSeenAtMicros > FORGET_QUEUEING_MICROS) {
            queueingAt = NONE;
        }
        if (unloadedProbe.running()) {
            // A round at half the limit, only to measure the unloaded level again: back to where it was.
            limit = unloadedProbe.end(level);
            if (unloadedProbe.waitedAsLong()) {
                // Half as many in flight waited as long: no queue of the limit's making, and more completes more.
                holdAtLeast((int) Math.min(ceiling, 2 * limit), nowMicros);
            }
        } else if (overloaded) {
            limit = limit * OVERLOAD_DECREASE;
            roundsSinceProbe = 0;
            throughputProbe.cancel(nowMicros);
        } else if (throughputProbe.running()) {
            int kept = throughputProbe.verdict(current(), nowMicros);
            if (kept > 0 && throughputProbe.gained()) {
                // More in flight completed more: a client short of CPU or a server with more slots.
                holdAtLeast(kept, nowMicros);
            } else if (kept > 0) {
                limit = kept;
            }
        } else if (revert || backFromOne > 0) {
            // The last cut for queueing cost throughput: what looked like a queue was a server (or a client) that
            // completes more the more it has, or, cut to one, a server of more slots whose first tokens come later
            // when they work together (llama-server computes them side by side).
            holdAtLeast(revert ? cutFromLimit : backFromOne, nowMicros);
            cutFromLimit = 0;
        } else if (queued) {
            queueingAt = Math.min(queueingAt, Math.max(2, (int) Math.ceil(limit)));
            queueingSeenAtMicros = nowMicros;
            if (lastGood > 0 && lastGood < limit) {
                limit = lastGood;
            } else {
                limit = limit * Math.max(0.5, (TOLERANCE * unloaded + SLACK_MICROS) / (double) level);
                lastGood = 0;
            }
            limit = Math.max(limit, bandwidthDelay(best, fastest));
            limit = Math.max(limit, throughputFloor);
            if (roundHeldBack && events < MIN_THROUGHPUT_EVENTS && limit < 2 && before >= 2 && !cutToOne.pending()
                    && throughput > 0) {
                // Rounds this small have no rate to judge the cut by: the answers at one in flight tell.
                cutToOne.cut(before, throughput);
            }
            if (roundHeldBack && events >= MIN_THROUGHPUT_EVENTS && (int) limit < before) {
                // The next round tells whether the cut kept the rate.
                cutFromLimit = before;
                cutFromThroughput = throughput;
                roundsSinceProbe = 0;
            }
        } else {
            // In flight beyond the limit just after a cut proves nothing about the limit.
            lastGood = Math.max(lastGood, Math.min(roundMostInFlight, current()));
            if (queueingAt <= lastGood) {
                // The server took what queued before: the next step up is the one to probe.
                queueingAt = lastGood + 1;
            }
            if (roundHeldBack) {
                raise();
            }
        }
        if (level >= 0 && !throughputProbe.running()) {
            limit = unloadedProbe.next(limit, level, unloaded, nowMicros);
        }
        if (roundHeldBack && !queued && !overloaded && current() == before && !unloadedProbe.running()
                && !throughputProbe.running() && medianDurationMicros <= ThroughputProbe.MAX_ANSWER_MICROS) {
            limit = Math.max(limit, throughputProbe.startIfDue(current(), ceiling, nowMicros));
        }
        limit = Math.max(floor(requestsPerSecond), Math.min(ceiling, limit));
        if (LOG.isDebugEnabled()) {
            LOG.debug("Concurrency round {}: {} answers, {} overloaded, level {} us, unloaded {} us, queued {}, "
                    + "limit {} -> {} (last good {}, queued at {}, in flight {}, best rate {}/s, fastest first token {} us)",
                    rounds, round.count(), roundOverloads, level, unloaded, queued, before, current(), lastGood,
                    queueingAt == NONE ? "-" : queueingAt, inFlight, Math.round(best), fastest);
        }
        if (current() != before || queued || overloaded) {
            // The next round measures only requests sent under the new limit.
            staleAnswers = inFlight;
        }
        round.clear();
        roundOverloads = 0;
        roundFirstEventMicros = -1;
        roundHeldBack = false;
        roundMostInFlight = inFlight;
    }

    /**
     * What the best recent rate needs in flight at the fastest first token seen, eight times over: a server
     * that works many requests at once (or a client short of CPU) answers later with more in flight, but
     * fewer would complete fewer. A cut for queueing never leaves the limit below it.
     */
    private static double bandwidthDelay(double bestPerSecond, long fastestMicros) {
        return Math.ceil(BANDWIDTH_DELAY_MULTIPLE * bestPerSecond * fastestMicros / 1e6);
    }

    /**
     * A limit shown to complete more than the one below it: the limit now, a good one, and no queueing cut below
     * it for a while (longer times under it are no queue).
     */
    private void holdAtLeast(int shown, long nowMicros) {
        limit = shown;
        throughputFloor = Math.max(throughputFloor, shown);
        throughputFloorSetAtMicros = nowMicros;
        lastGood = Math.max(lastGood, shown);
        queueingAt = NONE;
        roundsSinceProbe = 0;
    }

    private void raise() {
        if (limit < lastGood) {
            limit = Math.min(limit * 2, lastGood);
            roundsSinceProbe = 0;
        } else if (queueingAt == NONE) {
            limit = limit * 2;
            roundsSinceProbe = 0;
        } else if (limit + 1 < queueingAt) {
            limit = Math.floor(limit) + 1;
            roundsSinceProbe = 0;
        } else if (++roundsSinceProbe >= PROBE_EVERY_ROUNDS) {
            limit = Math.floor(limit) + 1;
            roundsSinceProbe = 0;
        }
    }

    private void noteEvent(long nowMicros) {
        if (roundFirstEventMicros < 0) {
            roundFirstEventMicros = nowMicros;
        }
    }

    /** The least the limit may be: what the model's request rate needs, twice over, at the median answer time. */
    private double floor(double requestsPerSecond) {
        if (requestsPerSecond <= 0 || medianDurationMicros <= 0) {
            return 1;
        }
        return Math.min(ceiling, Math.max(1, Math.ceil(2 * requestsPerSecond * medianDurationMicros / 1e6)));
    }
}
