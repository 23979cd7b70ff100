package io.llmstream.local.mock;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The live counters behind {@link MockStats}: lock-free adders for the totals, a gauge of the
 * requests in flight with its peak, and one small synchronized record per key and model, which also
 * tracks the sliding-window peaks.
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
    private final ConcurrentHashMap<String, KeyModelCounters> byKeyModel = new ConcurrentHashMap<>();

    MockCounters(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
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

    KeyModelCounters keyModel(String keyFingerprint, String model) {
        return byKeyModel.computeIfAbsent(keyFingerprint + "@" + model,
                k -> new KeyModelCounters(keyFingerprint, model, nanoClock));
    }

    /**
     * Zeroes every counter; requests in flight may still land in the fresh ones. The in-flight gauge
     * is kept, being a state, not a count, and its peak starts again from it.
     */
    void clear() {
        for (LongAdder adder : new LongAdder[] {requests, rateLimited, resets, hangs, malformed, outageRefusals,
                promptTokens, completionTokens, streamed}) {
            adder.reset();
        }
        maxInFlight.set(inFlight.get());
        byStatus.clear();
        byKeyModel.clear();
    }

    MockStats snapshot() {
        Map<Integer, Long> statuses = new HashMap<>();
        byStatus.forEach((status, count) -> statuses.put(status, count.sum()));
        Map<String, MockStats.KeyModel> keyModels = new HashMap<>();
        byKeyModel.forEach((id, counters) -> keyModels.put(id, counters.snapshot()));
        return new MockStats(requests.sum(), statuses, rateLimited.sum(), resets.sum(), hangs.sum(),
                malformed.sum(), outageRefusals.sum(), promptTokens.sum(), completionTokens.sum(), streamed.sum(),
                inFlight.get(), Math.max(maxInFlight.get(), inFlight.get()), keyModels);
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
