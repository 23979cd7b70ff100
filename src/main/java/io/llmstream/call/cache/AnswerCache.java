package io.llmstream.call.cache;

import io.llmstream.config.CacheSettings;
import io.llmstream.record.Completion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One model's answer cache in one call-stage instance: successful answers by {@link RequestIdentity}, and
 * the calls under way, so that a repeat either takes a stored answer, waits for the one call already made
 * for it, or makes the call itself and is the one the next repeats wait for.
 *
 * <p>Answers are kept for {@code ttl} from their arrival, at most {@code max-entries} of them, the oldest
 * leaving first: insertion order is expiry order, so expired answers are always at the head and leave in
 * O(1) each. Only successes are kept; when the call that others wait for fails, its waiters are handed
 * back to make their own calls. Nothing is checkpointed: after a restart a repeat costs one new call.
 *
 * <p>Thread-safe: looked up on the task thread, filled from the HTTP client's threads.
 *
 * @param <W> what a waiting caller is, handed back when the call it waits for ends
 */
public final class AnswerCache<W> {
    /** What a lookup found. */
    public enum Found {
        /** A stored answer: {@link Lookup#answer()}. */
        ANSWER,
        /** A call under way for the same request: the caller waits for it. */
        IN_FLIGHT,
        /** Nothing: the caller makes the call, and later repeats wait for it. */
        NOTHING
    }

    /** The outcome of a lookup; {@code answer} is set only when {@code found} is {@link Found#ANSWER}. */
    public record Lookup(Found found, Completion answer) {}

    private static final Lookup JOINED = new Lookup(Found.IN_FLIGHT, null);
    private static final Lookup LEADS = new Lookup(Found.NOTHING, null);

    private final long ttlMillis;
    private final int maxEntries;
    private final LongSupplier clock;
    private final LinkedHashMap<String, Stored> answers = new LinkedHashMap<>();
    private final Map<String, Flight<W>> flights = new HashMap<>();
    private long hits;

    /** @param clock epoch milliseconds; the operator's wall clock, a controlled one in tests */
    public AnswerCache(CacheSettings settings, LongSupplier clock) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("the cache is off: " + settings);
        }
        this.ttlMillis = settings.ttl().toMillis();
        this.maxEntries = settings.maxEntries();
        this.clock = clock;
    }

    /**
     * Looks a request up: its stored answer if one is fresh; otherwise the caller waits for the call under
     * way for it, or, if there is none, leads: it makes the call and must report its end
     * ({@link #answered} or {@link #failed}).
     */
    public synchronized Lookup lookup(String key, W caller) {
        Stored stored = answers.get(key);
        if (stored != null) {
            if (clock.getAsLong() - stored.storedAtMillis < ttlMillis) {
                hits++;
                return new Lookup(Found.ANSWER, stored.answer);
            }
            answers.remove(key);
        }
        Flight<W> flight = flights.get(key);
        if (flight != null) {
            flight.waiters.add(caller);
            return JOINED;
        }
        flights.put(key, new Flight<>(caller));
        return LEADS;
    }

    /**
     * A call for the request answered (the leader's, or any other's): the answer is kept, and the callers
     * that waited for the request's call are returned, to be answered with it.
     */
    public synchronized List<W> answered(String key, Completion answer) {
        long now = clock.getAsLong();
        evictExpired(now);
        answers.remove(key);
        answers.put(key, new Stored(answer, now));
        Iterator<Stored> oldest = answers.values().iterator();
        while (answers.size() > maxEntries) {
            oldest.next();
            oldest.remove();
        }
        Flight<W> flight = flights.remove(key);
        return flight == null ? List.of() : flight.waiters;
    }

    /**
     * A call for the request ended without an answer. If the caller led, nothing waits for it any more and
     * its waiters are returned, each to make its own call; otherwise nothing changes.
     */
    public synchronized List<W> failed(String key, W caller) {
        Flight<W> flight = flights.get(key);
        if (flight == null || flight.leader != caller) {
            return List.of();
        }
        flights.remove(key);
        return flight.waiters;
    }

    /** A waiting caller left (it was answered otherwise, e.g. by the operator's timeout). */
    public synchronized void withdraw(String key, W caller) {
        Flight<W> flight = flights.get(key);
        if (flight != null) {
            flight.waiters.remove(caller);
        }
    }

    /** Answers kept, expired ones not yet dropped included. */
    synchronized int size() {
        return answers.size();
    }

    /** Requests waiting for a call under way. */
    synchronized int waiting() {
        int waiting = 0;
        for (Flight<W> flight : flights.values()) {
            waiting += flight.waiters.size();
        }
        return waiting;
    }

    /** Lookups answered from a stored answer since start. */
    synchronized long hits() {
        return hits;
    }

    private void evictExpired(long now) {
        Iterator<Stored> oldest = answers.values().iterator();
        while (oldest.hasNext()) {
            if (now - oldest.next().storedAtMillis < ttlMillis) {
                return;
            }
            oldest.remove();
        }
    }

    private record Stored(Completion answer, long storedAtMillis) {}

    /** A call under way: the caller that makes it and those that wait for it. */
    private static final class Flight<W> {
        final W leader;
        final List<W> waiters = new ArrayList<>();

        Flight(W leader) {
            this.leader = leader;
        }
    }
}
