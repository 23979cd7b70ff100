package io.llmstream.limit;

import io.llmstream.config.BreakerSettings;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The live budget of one model in one shard: every request to the model in that shard, first attempt or
 * retry, waits here for its turn and goes when one of the endpoint's keys has budget for it, so the
 * provider never sees more than the limits allow. Waiting requests go highest effective priority first
 * ({@link Ticket}); each goes on the key that can take it soonest. What providers answer (limits in
 * headers, 429s, failures, refused keys) adjusts the keys' budgets. A request also needs room under the
 * model's {@link ConcurrencyLimit}: it holds a place from its admission until its attempt ends.
 *
 * <p>It belongs to the call stage instance that owns the shard ({@link BudgetShards}), which spends it
 * and checkpoints its {@link BudgetState}. Thread-safe: the task thread, the HTTP client's threads and
 * the dispatch timer all call it.
 */
public final class ModelDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDispatcher.class);

    private final String model;
    private final String endpoint;
    private final ModelKeys keys;
    private final DispatchTimer timer;
    /** Tickets that may go as soon as budget allows, in the tenants' fair shares. */
    private final TenantQueue ready;
    private final PriorityQueue<Ticket> delayed =
            new PriorityQueue<>(Comparator.comparingLong((Ticket ticket) -> ticket.notBeforeMicros));
    private final boolean limited;
    private final CircuitBreaker breaker;
    private final boolean fallBackWhenOpen;
    private final ConcurrencyLimit concurrency;
    private final AdmittedCounts admitted;
    private final DispatchAlarm alarm;
    /** Orders tickets of equal score by arrival. */
    private long nextSequence;

    ModelDispatcher(ModelSettings model, EndpointSettings endpoint, BreakerSettings breakerSettings,
            DispatchTimer timer) {
        this(model, endpoint, breakerSettings, timer, 1);
    }

    /** As below, without a concurrency limit: budgets alone decide. */
    public ModelDispatcher(ModelSettings model, EndpointSettings endpoint, BreakerSettings breakerSettings,
            DispatchTimer timer, int shards) {
        this(model, endpoint, breakerSettings, timer, shards, ConcurrencyLimit.fixed(Integer.MAX_VALUE));
    }

    /**
     * @param shards how many shards share the model's limits; this dispatcher paces one share of them
     * @param capacity {@code call.capacity}: the most requests in flight, the adaptive limit's ceiling
     */
    public ModelDispatcher(ModelSettings model, EndpointSettings endpoint, BreakerSettings breakerSettings,
            DispatchTimer timer, int shards, int capacity) {
        this(model, endpoint, breakerSettings, timer, shards, model.concurrency() == ModelSettings.ADAPTIVE
                ? ConcurrencyLimit.adaptive(capacity) : ConcurrencyLimit.fixed(Math.min(capacity, model.concurrency())));
    }

    private ModelDispatcher(ModelSettings model, EndpointSettings endpoint, BreakerSettings breakerSettings,
            DispatchTimer timer, int shards, ConcurrencyLimit concurrency) {
        this.concurrency = concurrency;
        this.admitted = new AdmittedCounts(model.rpm(), model.tpm(), Math.max(1, shards));
        this.ready = new TenantQueue(Math.max(1, shards), model.burst().toNanos() / 1000);
        this.model = model.name();
        this.endpoint = endpoint.name();
        this.timer = timer;
        this.alarm = new DispatchAlarm(timer, this::wakeUp);
        this.limited = model.isLimited();
        this.breaker = new CircuitBreaker(breakerSettings);
        this.fallBackWhenOpen = breakerSettings.whenOpen() == BreakerSettings.WhenOpen.FALLBACK
                && !model.fallbacks().isEmpty();
        this.keys = new ModelKeys(model, endpoint, shards, timer.nowMicros());
    }

    /** Queues a request for budget; its admission runs now if it may go now, else later on the timer. */
    public void submit(Ticket ticket) {
        dispatchAfter(() -> {
            ticket.sequence = nextSequence++;
            if (ticket.notBeforeMicros > timer.nowMicros()) {
                delayed.add(ticket);
            } else {
                ready.add(ticket);
            }
        });
    }

    /**
     * Takes a waiting ticket out of the queue: its request was answered otherwise (the async operator's
     * timeout) and must not be sent. Returns whether it was still waiting.
     */
    public synchronized boolean withdraw(Ticket ticket) {
        return ready.remove(ticket) || delayed.remove(ticket);
    }

    /**
     * Makes a change under the lock, lets out every ticket whose turn has come with it, and runs their admissions
     * outside the lock.
     */
    private void dispatchAfter(Runnable change) {
        List<Runnable> decided;
        synchronized (this) {
            change.run();
            decided = dispatch();
        }
        decided.forEach(Runnable::run);
    }

    /** Lets out every ticket whose turn has come and arms the timer for the next one. */
    private List<Runnable> dispatch() {
        long now = timer.nowMicros();
        while (!delayed.isEmpty() && delayed.peek().notBeforeMicros <= now) {
            ready.add(delayed.poll());
        }
        List<Runnable> decided = new ArrayList<>();
        long next = delayed.isEmpty() ? Long.MAX_VALUE : delayed.peek().notBeforeMicros;
        while (!ready.isEmpty()) {
            if (!breaker.allows(now)) {
                next = Math.min(next, breaker.nextPermitMicros());
                break;
            }
            Ticket head = ready.peek(now);
            if (head == null) { // every waiting tenant at its own cap: wake when the first may go
                next = Math.min(next, ready.earliestCapped(now));
                break;
            }
            KeyBudget best = keys.soonest(now, head.tokens);
            if (best == null) {
                ready.remove(head);
                String reason = "every API key of endpoint " + endpoint + " was refused by the provider";
                decided.add(() -> head.admission.refused(reason));
                continue;
            }
            long bestAt = keys.soonestAt();
            if (bestAt > now) {
                next = Math.min(next, bestAt);
                break;
            }
            if (!concurrency.tryAcquire()) {
                // The end of an attempt in flight dispatches again.
                break;
            }
            ready.letOut(head, now);
            breaker.admitted();
            best.charge(now, head.tokens);
            admitted.admitted(head.tokens);
            int keyIndex = best.index;
            keys.chosen(best);
            long waited = now - head.enqueuedMicros;
            decided.add(() -> head.admission.admitted(keyIndex, waited));
        }
        alarm.set(next);
        return decided;
    }

    private void wakeUp() {
        dispatchAfter(alarm::fired);
    }

    /**
     * A response came on a key: adopt what it says about the provider's limits ({@link ModelKeys#observe}).
     *
     * @param headersAtMicros when the response's headers arrived, epoch microseconds
     */
    public synchronized void observe(int keyIndex, ProviderLimits reported, long sentAtMicros, long headersAtMicros) {
        keys.observe(keyIndex, reported, sentAtMicros, headersAtMicros);
    }

    /** As {@link #observe(int, ProviderLimits, long, long)} for headers that arrived just now. */
    public void observe(int keyIndex, ProviderLimits reported, long sentAtMicros) {
        observe(keyIndex, reported, sentAtMicros, timer.nowMicros());
    }

    /** A 429 on a key: hold the key for the wait the provider asked for and pace it more slowly. */
    public synchronized void rateLimited(int keyIndex, long waitMicros) {
        keys.rateLimited(keyIndex, waitMicros, timer.nowMicros());
    }

    /** A success on a key: the key is healthy, and a half-open circuit closes. */
    public void succeeded(int keyIndex) {
        KeyBudget key;
        boolean restored;
        boolean closed;
        List<Runnable> decided;
        synchronized (this) {
            key = keys.get(keyIndex);
            restored = key.succeeded();
            boolean wasClosed = breaker.state() == CircuitBreaker.State.CLOSED;
            closed = breaker.record(timer.nowMicros(), false) == CircuitBreaker.State.CLOSED && !wasClosed;
            decided = closed ? dispatch() : List.of();
        }
        if (restored) {
            LOG.info("API key {} of endpoint {} works again for model {}: back to its full rate", key.id, endpoint,
                    model);
        }
        if (closed) {
            LOG.info("Circuit of model {} on endpoint {} closed: the probe succeeded", model, endpoint);
        }
        decided.forEach(Runnable::run);
    }

    /**
     * A failure on a key that may be the key's or the provider's fault (5xx, timeout, connection,
     * malformed answer): it counts toward degrading the key and toward opening the model's circuit.
     */
    public void failed(int keyIndex) {
        KeyBudget key;
        boolean degraded;
        int failures;
        boolean opened;
        String window;
        List<Ticket> moving = List.of();
        List<Runnable> decided;
        synchronized (this) {
            key = keys.get(keyIndex);
            degraded = key.failed();
            failures = key.consecutiveFailures();
            boolean wasClosed = breaker.state() == CircuitBreaker.State.CLOSED;
            opened = breaker.record(timer.nowMicros(), true) == CircuitBreaker.State.OPEN && wasClosed;
            window = breaker.windowSummary();
            if (opened && fallBackWhenOpen) {
                moving = ready.drain();
                moving.addAll(delayed);
                delayed.clear();
            }
            decided = dispatch();
        }
        if (degraded) {
            LOG.warn("API key {} of endpoint {} failed {} times in a row for model {}: degraded to its "
                    + "degraded-rps until it succeeds again", key.id, endpoint, failures, model);
        }
        if (opened) {
            LOG.warn("Circuit of model {} on endpoint {} opened ({}): requests {} until a probe succeeds", model,
                    endpoint, window, fallBackWhenOpen ? "go to its fallbacks" : "wait");
        }
        decided.forEach(Runnable::run);
        for (Ticket ticket : moving) {
            if (!ticket.admission.circuitOpened()) {
                submit(ticket);
            }
        }
    }

    /**
     * An attempt let out here was answered: its place under the concurrency limit frees, and its times teach
     * the limit.
     *
     * @param firstTokenMicros from sending to the first token; a plain answer's whole time
     * @param durationMicros from sending to the end of the answer
     */
    public void answered(long firstTokenMicros, long durationMicros) {
        dispatchAfter(() -> concurrency.answered(firstTokenMicros, durationMicros,
                admitted.requestsPerSecond(), timer.nowMicros()));
    }

    /** An attempt let out here met a sign of overload (429, 503, a refused or reset connection, a silent server). */
    public void overloaded() {
        dispatchAfter(() -> concurrency.overloaded(admitted.requestsPerSecond(), timer.nowMicros()));
    }

    /** An attempt let out here ended, or was never sent, without a word about the server's load. */
    public void attemptEnded() {
        dispatchAfter(concurrency::ended);
    }

    /** How many requests may be at the model's server at once now (this shard). */
    public synchronized int concurrencyLimit() {
        return concurrency.current();
    }

    /** Requests let out and not yet ended. */
    public synchronized int inFlight() {
        return concurrency.inFlight();
    }

    /** Whether the model's circuit is open (or half-open): requests should go to a fallback if they can. */
    public synchronized boolean isCircuitOpen() {
        return breaker.state() != CircuitBreaker.State.CLOSED;
    }

    /** How long the circuit has been open in all, for metrics and benchmarks. */
    public synchronized long circuitOpenMillis() {
        return breaker.openMicrosTotal(timer.nowMicros()) / 1000;
    }

    /** The circuit's state for a gauge: 0 closed, 1 half-open, 2 open. */
    public synchronized int circuitState() {
        return breaker.state().gaugeValue;
    }

    /** Requests let out since the dispatcher was made, retries included. */
    public synchronized long admittedRequests() {
        return admitted.requests();
    }

    /** Tokens charged for the requests let out since the dispatcher was made. */
    public synchronized long admittedTokens() {
        return admitted.tokens();
    }

    /** How often the circuit opened. */
    public synchronized int circuitOpenings() {
        return breaker.openings();
    }

    /** The provider refused a key (401, 403): take it out; its traffic moves to the other keys. */
    public void refused(int keyIndex, int status) {
        KeyBudget key;
        boolean removed;
        long left;
        List<Runnable> decided;
        synchronized (this) {
            key = keys.get(keyIndex);
            removed = key.remove();
            left = keys.usable();
            decided = dispatch();
        }
        if (removed) {
            LOG.error("API key {} of endpoint {} was refused with HTTP {} for model {}: taken out, {} key(s) left",
                    key.id, endpoint, status, model, left);
        }
        decided.forEach(Runnable::run);
    }

    /** Keys the provider has not refused. */
    public synchronized int usableKeys() {
        return keys.usable();
    }

    /** The id of a key, for logs, metrics and dead letters. */
    public String keyId(int keyIndex) {
        return keys.get(keyIndex).id;
    }

    /** Whether any limit applies; unlimited models keep no state. */
    public boolean isLimited() {
        return limited;
    }

    /** A snapshot of the keys' health and pace, for metrics. */
    public synchronized Map<String, KeyStatus> keyStatus() {
        return keys.status(timer.nowMicros());
    }

    /**
     * How long from now until some key's budget could take a request of {@code tokens}, leaving aside the
     * requests that wait and the circuit; 0 if one could go now, {@link Long#MAX_VALUE} if no key is left.
     * An embeddings batch that is not full gathers inputs until then rather than wait with those it has.
     */
    public synchronized long admissionDelayMicros(long tokens) {
        long now = timer.nowMicros();
        long earliest = keys.earliest(now, tokens);
        return earliest == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, earliest - now);
    }

    /** Requests waiting for budget now. */
    public synchronized int waiting() {
        return ready.size() + delayed.size();
    }

    /** Requests of a tenant waiting for their turn now (not those backing off after a failure). */
    public synchronized int waitingOf(String tenant) {
        return ready.size(tenant);
    }

    /** The state to checkpoint. */
    public synchronized BudgetState snapshot() {
        return keys.snapshot();
    }

    /**
     * Takes over restored state, key by key id, before any request is sent; per-minute buckets start empty
     * (see {@link KeyBudget#restoreTats}).
     */
    public synchronized void restore(BudgetState state) {
        keys.restore(state, timer.nowMicros());
    }
}
