package io.llmstream.local.mock;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The live counters behind {@link MockStats}: lock-free adders for the totals, a gauge of the
 * requests in flight with its peak, the queue of {@code --slots} with its peak and its latest waits,
 * and one small synchronized record per key and model, which also tracks the sliding-window peaks.
 */
final class MockCounters {

    private static final long ONE_SECOND = 1_000_000_000L;
    private static final long ONE_MINUTE = 60 * ONE_SECOND;

    private final LongSupplier nanoClock;
    private final LongAdder requests = new LongAdder();
    private final ConcurrentHashMap<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    private final LongAdder rateLimited = new LongAdder();
    private final LongAdder resets = new LongAdder();
    private final LongAdder hangs = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder outageRefusals = new LongAdder();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder streamed = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong maxInFlight = new AtomicLong();
    private final int slots;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong maxQueued = new AtomicLong();
    private final LongAdder served = new LongAdder();
    private final QueueWaits queueWaits = new QueueWaits();
    private final ConcurrentHashMap<String, KeyModelCounters> byKeyModel = new ConcurrentHashMap<>();
    private final LongAdder filesUploaded = new LongAdder();
    private final LongAdder batchesCreated = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> batchesByStatus = new ConcurrentHashMap<>();
    private final LongAdder batchLinesSubmitted = new LongAdder();
    private final LongAdder batchLinesAnswered = new LongAdder();
    private final LongAdder batchLinesFailed = new LongAdder();
    private final LongAdder batchPromptTokens = new LongAdder();
    private final LongAdder batchCompletionTokens = new LongAdder();

    /** @param slots {@code --slots}, reported as it is; 0 is no queue */
    MockCounters(LongSupplier nanoClock, int slots) {
        this.nanoClock = nanoClock;
        this.slots = slots;
    }

    void request() {
        requests.increment();
    }

    void status(int status) {
        byStatus.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    void rateLimited() {
        rateLimited.increment();
    }

    void reset() {
        resets.increment();
    }

    void hang() {
        hangs.increment();
    }

    void malformed() {
        malformed.increment();
    }

    void outageRefusal() {
        outageRefusals.increment();
    }

    void tokens(long prompt, long completion) {
        promptTokens.add(prompt);
        completionTokens.add(completion);
    }

    void streamed() {
        streamed.increment();
    }

    void enterFlight() {
        long now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
    }

    void leaveFlight() {
        inFlight.decrementAndGet();
    }

    void enqueued() {
        long now = queued.incrementAndGet();
        maxQueued.accumulateAndGet(now, Math::max);
    }

    void dequeued() {
        queued.decrementAndGet();
    }

    /** A request took a slot after waiting this long for it (0 when one was free). */
    void servedAfter(long waitNanos) {
        served.increment();
        queueWaits.add(waitNanos);
    }

    void fileUploaded() {
        filesUploaded.increment();
    }

    /** A batch was created with this many valid lines. */
    void batchCreated(long lines) {
        batchesCreated.increment();
        batchLinesSubmitted.add(lines);
    }

    /** A batch line was answered: into the output file when it succeeded, else into the error file. */
    void batchLineAnswered(boolean succeeded, long promptTokens, long completionTokens) {
        if (succeeded) {
            batchLinesAnswered.increment();
            batchPromptTokens.add(promptTokens);
            batchCompletionTokens.add(completionTokens);
        } else {
            batchLinesFailed.increment();
        }
    }

    /** A batch line went to the error file unanswered: its batch expired or was cancelled. */
    void batchLineFailed() {
        batchLinesFailed.increment();
    }

    void batchEnded(String status) {
        batchesByStatus.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    KeyModelCounters keyModel(String keyFingerprint, String model) {
        return byKeyModel.computeIfAbsent(keyFingerprint + "@" + model,
                k -> new KeyModelCounters(keyFingerprint, model, nanoClock));
    }

    /**
     * Zeroes every counter; requests in flight may still land in the fresh ones. The in-flight and
     * queued gauges are kept, being states, not counts, and their peaks start again from them.
     */
    void clear() {
        for (LongAdder adder : new LongAdder[] {requests, rateLimited, resets, hangs, malformed, outageRefusals,
                promptTokens, completionTokens, streamed, served, filesUploaded, batchesCreated, batchLinesSubmitted,
                batchLinesAnswered, batchLinesFailed, batchPromptTokens, batchCompletionTokens}) {
            adder.reset();
        }
        batchesByStatus.clear();
        maxInFlight.set(inFlight.get());
        maxQueued.set(queued.get());
        queueWaits.clear();
        byStatus.clear();
        byKeyModel.clear();
    }

    MockStats snapshot() {
        Map<Integer, Long> statuses = new HashMap<>();
        byStatus.forEach((status, count) -> statuses.put(status, count.sum()));
        Map<String, MockStats.KeyModel> keyModels = new HashMap<>();
        byKeyModel.forEach((id, counters) -> keyModels.put(id, counters.snapshot()));
        long[] waits = queueWaits.p50AndMaxMs();
        return new MockStats(requests.sum(), statuses, rateLimited.sum(), resets.sum(), hangs.sum(),
                malformed.sum(), outageRefusals.sum(), promptTokens.sum(), completionTokens.sum(), streamed.sum(),
                inFlight.get(), Math.max(maxInFlight.get(), inFlight.get()), slots, queued.get(),
                Math.max(maxQueued.get(), queued.get()), served.sum(), waits[0], waits[1], keyModels, batchSnapshot());
    }

    private MockStats.Batch batchSnapshot() {
        Map<String, Long> ended = new HashMap<>();
        batchesByStatus.forEach((status, count) -> ended.put(status, count.sum()));
        return new MockStats.Batch(filesUploaded.sum(), batchesCreated.sum(), ended, batchLinesSubmitted.sum(),
                batchLinesAnswered.sum(), batchLinesFailed.sum(), batchPromptTokens.sum(), batchCompletionTokens.sum());
    }

    /**
     * How long served requests waited for their slot: the median of the latest {@link #SAMPLES}, so
     * it follows a long run's present, and the longest since start or the last reset.
     */
    static final class QueueWaits {
        static final int SAMPLES = 4096;

        private final long[] latest = new long[SAMPLES];
        private long count;
        private long maxNanos;

        synchronized void add(long waitNanos) {
            latest[(int) (count++ % SAMPLES)] = waitNanos;
            maxNanos = Math.max(maxNanos, waitNanos);
        }

        synchronized void clear() {
            count = 0;
            maxNanos = 0;
        }

        /** The median (the lower one of an even count) and the maximum, in whole milliseconds; zeros when none. */
        synchronized long[] p50AndMaxMs() {
            int size = (int) Math.min(count, SAMPLES);
            if (size == 0) {
                return new long[] {0, 0};
            }
            long[] sorted = Arrays.copyOf(latest, size);
            Arrays.sort(sorted);
            return new long[] {sorted[(size - 1) / 2] / 1_000_000, maxNanos / 1_000_000};
        }
    }

    /** The counters of one key and model. */
    static final class KeyModelCounters {
        private final String keyFingerprint;
        private final String model;
        private final LongSupplier nanoClock;
        private long requests;
        private long admitted;
        private long rateLimited;
        private long tokens;
        private long lastAdmittedNanos;
        private final PeakWindow perSecond = new PeakWindow(ONE_SECOND);
        private final PeakWindow perMinute = new PeakWindow(ONE_MINUTE);

        private KeyModelCounters(String keyFingerprint, String model, LongSupplier nanoClock) {
            this.keyFingerprint = keyFingerprint;
            this.model = model;
            this.nanoClock = nanoClock;
        }

        synchronized void request() {
            requests++;
        }

        synchronized void rateLimited() {
            rateLimited++;
        }

        synchronized void admitted(long chargedTokens) {
            admitted(chargedTokens, nanoClock.getAsLong());
        }

        /** An admission decided as of {@code now}, the request's arrival. */
        synchronized void admitted(long chargedTokens, long now) {
            admitted++;
            tokens += chargedTokens;
            lastAdmittedNanos = now;
            perSecond.add(now, chargedTokens);
            perMinute.add(now, chargedTokens);
        }

        synchronized MockStats.KeyModel snapshot() {
            return new MockStats.KeyModel(keyFingerprint, model, requests, admitted, rateLimited, tokens,
                    perSecond.peakRequests, perMinute.peakRequests, perSecond.peakTokens, perMinute.peakTokens,
                    lastAdmittedNanos);
        }
    }

    /**
     * The largest count and token sum of events in any window of a fixed length. The maximum over all
     * windows is reached by one that ends at an event, so checking at each event is exact.
     */
    static final class PeakWindow {
        private final long lengthNanos;
        private final ArrayDeque<long[]> events = new ArrayDeque<>();
        private long tokensInWindow;
        long peakRequests;
        long peakTokens;

        PeakWindow(long lengthNanos) {
            this.lengthNanos = lengthNanos;
        }

        /** Adds an event at {@code now}; a window holds the events in (now - length, now]. */
        void add(long now, long tokens) {
            while (!events.isEmpty() && events.peekFirst()[0] <= now - lengthNanos) {
                tokensInWindow -= events.pollFirst()[1];
            }
            events.addLast(new long[] {now, tokens});
            tokensInWindow += tokens;
            peakRequests = Math.max(peakRequests, events.size());
            peakTokens = Math.max(peakTokens, tokensInWindow);
        }
    }
}
