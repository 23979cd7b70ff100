package io.llmstream.limit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ConcurrencyLimitTest {

    /**
     * A server with {@code slots} that serves in arrival order and queues the rest, as vLLM, TGI, Ollama and
     * llama.cpp do: the first token {@code firstTokenMicros} after a request takes a slot, the answer's end
     * {@code serviceMicros} after. The client keeps as many requests in flight as the limit allows and always
     * has more to send. Time is simulated, events in order.
     */
    static final class QueueingServer {
        final int slots;
        final long firstTokenMicros;
        final long serviceMicros;
        final Random random = new Random(7);
        long now;
        int busy;
        final ArrayDeque<long[]> waiting = new ArrayDeque<>();
        /** {at, sentAt, startedAt}. */
        final PriorityQueue<long[]> ends = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        final List<Long> firstTokens = new ArrayList<>();
        final List<Long> endTimes = new ArrayList<>();
        long answered;
        /** How much longer the first token takes for each other busy slot, as a share of its time alone. */
        double firstTokenPerOtherBusy;

        QueueingServer(int slots, long firstTokenMicros, long serviceMicros) {
            this.slots = slots;
            this.firstTokenMicros = firstTokenMicros;
            this.serviceMicros = serviceMicros;
        }

        void run(ConcurrencyLimit limit, long untilMicros, List<Integer> limitsSeen) {
            while (now < untilMicros) {
                while (limit.tryAcquire()) {
                    waiting.add(new long[] {now});
                }
                while (busy < slots && !waiting.isEmpty()) {
                    long sentAt = waiting.poll()[0];
                    busy++;
                    // +-10% service time, as answers differ in length.
                    long service = (long) (serviceMicros * (0.9 + 0.2 * random.nextDouble()));
                    long firstToken = (long) (firstTokenMicros * (1 + firstTokenPerOtherBusy * (busy - 1)));
                    ends.add(new long[] {now + service, sentAt, now, firstToken});
                }
                long[] end = ends.poll();
                now = end[0];
                busy--;
                answered++;
                long firstToken = end[2] + end[3] - end[1];
                firstTokens.add(firstToken);
                endTimes.add(now);
                limit.answered(firstToken, now - end[1], 0, now);
                limitsSeen.add(limit.current());
            }
        }
    }

    @ParameterizedTest(name = "{0} slots, first token {1} us, service {2} us, ceiling {3}")
    @CsvSource({
            "2, 3000, 40000, 100",
            "2, 1000, 10000, 200",
            "4, 20000, 400000, 100",
            "8, 5000, 60000, 256",
            "16, 50000, 2000000, 100",
    })
    void findsTheConcurrencyOfAServerThatQueues(int slots, long firstTokenMicros, long serviceMicros, int ceiling) {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(ceiling);
        QueueingServer server = new QueueingServer(slots, firstTokenMicros, serviceMicros);
        List<Integer> limits = new ArrayList<>();

        server.run(limit, 600L * serviceMicros, limits);

        // The second half: settled.
        List<Long> settled = new ArrayList<>(server.firstTokens.subList(server.firstTokens.size() / 2,
                server.firstTokens.size()));
        Collections.sort(settled);
        long medianFirstToken = settled.get(settled.size() / 2);
        assertThat(medianFirstToken).as("median time to first token, against %d us unloaded", firstTokenMicros)
                .isLessThanOrEqualTo(3 * firstTokenMicros);
        long halfAnswered = server.answered - server.answered / 2;
        double throughput = halfAnswered / (double) (server.now - server.endTimes.get((int) (server.answered / 2)));
        double serverCanDo = slots / (double) serviceMicros;
        assertThat(throughput / serverCanDo).as("share of what the server can do").isGreaterThanOrEqualTo(0.95);
        List<Integer> lateLimits = limits.subList(limits.size() / 2, limits.size());
        // Nine answers in ten under a limit near the slots; the rest are probes (one above every eighth round,
        // a doubling once a minute when the limit that queued is forgotten, in case the server grew).
        List<Integer> sortedLimits = new ArrayList<>(lateLimits);
        Collections.sort(sortedLimits);
        assertThat(sortedLimits.get(sortedLimits.size() * 9 / 10)).as("near the slots").isLessThanOrEqualTo(slots + 2);
    }

    /**
     * A client short of CPU in front of a fast server, as the 1 ms speed bench on two cores: the machine
     * completes at most {@code perSecond} answers a second, shared by everything in flight, so an answer sent
     * with n in flight takes the server's own time plus n / perSecond, give or take 30%. While the JIT warms up
     * (10 s) the machine starts at a fifth of its rate; the first 100 ms answer up to 60 ms late (connections,
     * classes), and every 50 ms a pause of 6 ms (a collection) delays whatever is in flight. More in flight
     * completes more, up to the machine's rate: the longer times are not a server's queue. Returns the
     * completions of each simulated second.
     */
    private static final long PAUSE_EVERY_MICROS = 50_000;
    private static final long PAUSE_MICROS = 6_000;
    private static final long COLD_START_MICROS = 100_000;
    private static final long COMPILING_FROM_MICROS = 200_000;

    private static long[] clientShortOfCpu(ConcurrencyLimit limit, long serverMicros, double perSecond, int seconds) {
        return clientShortOfCpu(limit, serverMicros, perSecond, seconds, 0);
    }

    /**
     * As above, and while the JIT compiles (the first 10 s) every answer also waits up to {@code compilingMicros}
     * more, however few are in flight: the compiler threads hold the CPU, so the wait fades as they finish, and
     * half as many in flight wait as long.
     */
    private static long[] clientShortOfCpu(ConcurrencyLimit limit, long serverMicros, double perSecond, int seconds,
            long compilingMicros) {
        Random random = new Random(11);
        PriorityQueue<long[]> ends = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        long now = 0;
        long[] bySecond = new long[seconds];
        long until = seconds * 1_000_000L;
        while (now < until) {
            double warm = Math.min(1, 0.2 + 0.8 * now / 10e6);
            while (limit.tryAcquire()) {
                long latency = (long) ((serverMicros + limit.inFlight() * 1e6 / (perSecond * warm))
                        * (0.7 + 0.6 * random.nextDouble()));
                // Now and then an answer finds the CPU free.
                double compiling = random.nextDouble() < 0.25 ? 0.05 : 0.5 + 1.5 * random.nextDouble();
                // The compilations begin once the first answers went through.
                double compilingNow = now < COMPILING_FROM_MICROS ? 0 : Math.max(0, 1 - now / 10e6);
                latency += (long) (compilingMicros * compilingNow * compiling);
                if (now < COLD_START_MICROS) {
                    // Connections, classes, the first compilations.
                    latency += random.nextInt(60_000);
                }
                if ((now + latency) / PAUSE_EVERY_MICROS > now / PAUSE_EVERY_MICROS) {
                    // Whatever is in flight at a pause waits it out.
                    latency += PAUSE_MICROS;
                }
                ends.add(new long[] {now + latency, now});
            }
            long[] end = ends.poll();
            now = end[0];
            limit.answered(now - end[1], now - end[1], 0, now);
            if (now < until) {
                bySecond[(int) (now / 1_000_000)]++;
            }
        }
        return bySecond;
    }

    @Test
    void aClientShortOfCpuKeepsWhatItsRateNeedsInFlight() {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(256);

        long[] adaptive = clientShortOfCpu(limit, 1_000, 15_000, 15);
        long[] whole = clientShortOfCpu(ConcurrencyLimit.fixed(256), 1_000, 15_000, 15);

        // Held at the few in flight the cold start left it at, it completed 56% of what 256 did in the first
        // five seconds, until its rounds grew large enough to measure a rate (16 answers).
        assertThat(firstSeconds(adaptive, 5)).as("the first five seconds, against %s at 256", Arrays.toString(whole))
                .isGreaterThanOrEqualTo((long) (0.8 * firstSeconds(whole, 5)));
        assertThat(adaptive[14]).as("the last second, limit %d", limit.current())
                .isGreaterThanOrEqualTo((long) (0.9 * whole[14]));
    }

    @Test
    void aColdClientWhoseAnswersWaitHoweverFewAreInFlightIsNotHeldAtTheFewItStartedWith() {
        // The speed benchmark's first seconds: the JIT's threads hold the CPU, and every answer of the 1 ms
        // server comes 10 - 30 ms late whether 3 or 30 are in flight. That is no queue of the server's: fewer in
        // flight would not wait less, only complete less. (The limit sat at 6 for 8 s: 578 completions/s over
        // the first 10 s, against 2,961 with a fixed 256.)
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(256);

        long[] adaptive = clientShortOfCpu(limit, 1_000, 15_000, 15, 20_000);
        long[] whole = clientShortOfCpu(ConcurrencyLimit.fixed(256), 1_000, 15_000, 15, 20_000);

        assertThat(firstSeconds(adaptive, 10))
                .as("the first ten seconds, %s against %s at 256", Arrays.toString(adaptive), Arrays.toString(whole))
                .isGreaterThanOrEqualTo((long) (0.8 * firstSeconds(whole, 10)));
        assertThat(adaptive[14]).as("the last second, limit %d", limit.current())
                .isGreaterThanOrEqualTo((long) (0.9 * whole[14]));
    }

    private static long firstSeconds(long[] bySecond, int seconds) {
        return Arrays.stream(bySecond, 0, seconds).sum();
    }

    @ParameterizedTest(name = "{0} slot(s)")
    @CsvSource({"2", "1"})
    void aServerWhoseFirstTokensComeLaterWhenItsSlotsWorkTogetherKeepsThemAllBusy(int slots) {
        // llama-server with 2 slots: the second request's prompt is processed beside the first one's generation,
        // so its first token comes 3.5 times later than alone, past the queueing threshold, and one in flight
        // would complete half as much. With one slot, one in flight is right: a second one only waits.
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(100);
        QueueingServer server = new QueueingServer(slots, 2_000, 25_000);
        server.firstTokenPerOtherBusy = 2.5;
        List<Integer> limits = new ArrayList<>();

        server.run(limit, 1_200L * 25_000, limits);

        long halfAnswered = server.answered - server.answered / 2;
        double throughput = halfAnswered / (double) (server.now - server.endTimes.get((int) (server.answered / 2)));
        assertThat(throughput / (slots / 25_000.0)).as("share of what the server can do, limits %s",
                limits.subList(limits.size() - 60, limits.size())).isGreaterThanOrEqualTo(0.95);
        List<Long> settled = new ArrayList<>(server.firstTokens.subList(server.firstTokens.size() / 2,
                server.firstTokens.size()));
        Collections.sort(settled);
        assertThat(settled.get(settled.size() / 2)).as("median first token, 2 ms alone")
                .isLessThanOrEqualTo(slots == 1 ? 6_000L : 3 * 2_000 * 2L);
    }

    /**
     * A provider that does not queue: each answer takes its own time, whatever else is in flight. Returns the
     * limit after {@code answers} answers.
     */
    private static ConcurrencyLimit provider(int ceiling, int answers, long minMicros, long maxMicros) {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(ceiling);
        Random random = new Random(3);
        PriorityQueue<long[]> ends = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        long now = 0;
        for (int i = 0; i < answers; i++) {
            while (limit.tryAcquire()) {
                long latency = minMicros + (long) (random.nextDouble() * (maxMicros - minMicros));
                ends.add(new long[] {now + latency, now});
            }
            long[] end = ends.poll();
            now = end[0];
            limit.answered(now - end[1], now - end[1], 0, now);
        }
        return limit;
    }

    @Test
    void aProviderThatDoesNotQueueGetsTheWholeCeilingHoweverItsTimesVary() {
        // OpenAI's times to the first token vary threefold and more from one request to the next.
        assertThat(provider(256, 20_000, 150_000, 500_000).current()).isEqualTo(256);
        assertThat(provider(100, 20_000, 1_000, 3_000).current()).isEqualTo(100);
    }

    @Test
    void reachesTheCeilingWithinAFewRoundsByDoubling() {
        ConcurrencyLimit limit = provider(256, 600, 200_000, 200_000);

        assertThat(limit.current()).isEqualTo(256);
        assertThat(limit.rounds()).as("4, 8, ..., 256").isLessThanOrEqualTo(7);
    }

    /** A limit of {@code target} reached over a provider that answers in 100 ms; returns the time. */
    private static long raiseTo(ConcurrencyLimit limit, int target) {
        long now = 0;
        while (limit.current() < target) {
            while (limit.tryAcquire()) {
                // sent
            }
            limit.answered(100_000, 100_000, 0, now += 1_000);
        }
        // The answers of requests sent before the change do not count.
        for (int stale = limit.inFlight(); stale > 0; stale--) {
            limit.answered(100_000, 100_000, 0, now += 1_000);
        }
        while (limit.tryAcquire()) {
            // the next round's requests
        }
        return now;
    }

    @Test
    void aRoundWithATenthOfItsRequestsOverloadedCutsByAQuarter() {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(64);
        long now = raiseTo(limit, 64);
        int before = limit.current();
        long roundsBefore = limit.rounds();

        // One request in nine (11%) meets a 503, a reset or a refused connection.
        for (int i = 0; i < 64; i++) {
            if (i % 9 == 0) {
                limit.overloaded(0, now += 1_000);
            } else {
                limit.answered(100_000, 100_000, 0, now += 1_000);
            }
        }

        assertThat(limit.current()).isEqualTo((int) (before * ConcurrencyLimit.OVERLOAD_DECREASE));
        assertThat(limit.rounds()).as("one round").isEqualTo(roundsBefore + 1);
    }

    @Test
    void chanceFaultsOfAHealthyServerDoNotCut() {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(64);
        long now = raiseTo(limit, 64);
        int before = limit.current();

        // 2 of 64 (3%): the resets and 503s of a healthy server.
        for (int i = 0; i < 64; i++) {
            if (i == 10 || i == 40) {
                limit.overloaded(0, now += 1_000);
            } else {
                limit.answered(100_000, 100_000, 0, now += 1_000);
            }
        }

        assertThat(limit.current()).isGreaterThanOrEqualTo(before);
    }

    @Test
    void aServerThatOnlyShedsLoadIsCutRoundAfterRound() {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(100);
        long now = raiseTo(limit, 64);

        for (int i = 0; i < 2_000; i++) {
            limit.overloaded(0, now += 1_000);
            limit.tryAcquire();
        }

        assertThat(limit.current()).as("nothing answered: every round is cut").isLessThanOrEqualTo(2);
    }

    @Test
    void aRateLimitedModelKeepsWhatItsRateNeeds() {
        ConcurrencyLimit limit = ConcurrencyLimit.adaptive(100);
        long now = 0;
        // 10 requests/s at 2 s an answer needs 20 in flight; twice that is the floor.
        for (int i = 0; i < 200; i++) {
            while (limit.tryAcquire()) {
                // sent
            }
            limit.overloaded(10, now += 1_000);
            while (limit.tryAcquire()) {
                // sent
            }
            limit.answered(2_000_000, 2_000_000, 10, now += 1_000);
        }

        assertThat(limit.current()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void aFixedLimitNeverMoves() {
        ConcurrencyLimit limit = ConcurrencyLimit.fixed(7);
        int taken = 0;
        while (limit.tryAcquire()) {
            taken++;
        }
        for (int i = 0; i < 100; i++) {
            limit.overloaded(0, i);
            limit.tryAcquire();
            limit.answered(10_000_000, 10_000_000, 0, i);
            limit.tryAcquire();
        }

        assertThat(taken).isEqualTo(7);
        assertThat(limit.current()).isEqualTo(7);
        assertThat(limit.inFlight()).isEqualTo(7);
    }
}
