package io.llmstream.limit;

import io.llmstream.config.BreakerSettings;

import java.util.ArrayDeque;

/**
 * The circuit breaker of one endpoint and model. Closed, it keeps the outcomes of the latest attempts
 * (at most {@code window-calls} of them, none older than {@code window}) and opens when enough of them
 * failed. Open, it lets nothing through until
 * {@code open-for} has passed; then, half-open, it lets one probe through, closes if the probe succeeds
 * and opens again if it fails. Not thread-safe: its {@link ModelDispatcher} guards it.
 */
final class CircuitBreaker {
    /** The breaker's state. */
    enum State {
        CLOSED(0), OPEN(2), HALF_OPEN(1);

        /** The state as a gauge shows it: 0 closed, 1 half-open, 2 open. */
        final int gaugeValue;

        State(int gaugeValue) {
            this.gaugeValue = gaugeValue;
        }
    }

    private final BreakerSettings settings;
    private final ArrayDeque<long[]> outcomes = new ArrayDeque<>();
    private State state = State.CLOSED;
    private int failuresInWindow;
    private long openUntilMicros;
    private boolean probeInFlight;
    private long openedAtMicros;
    private long openMicrosTotal;
    private int openings;

    CircuitBreaker(BreakerSettings settings) {
        this.settings = settings;
    }

    /** Whether a request may go now; in half-open, only the one probe may. */
    boolean allows(long nowMicros) {
        if (state == State.OPEN && nowMicros >= openUntilMicros) {
            state = State.HALF_OPEN;
            probeInFlight = false;
        }
        return state == State.CLOSED || (state == State.HALF_OPEN && !probeInFlight);
    }

    /** A request went: in half-open, it is the probe and nothing else goes until it answers. */
    void admitted() {
        if (state == State.HALF_OPEN) {
            probeInFlight = true;
        }
    }

    /** When the breaker will next let something through; {@code Long.MAX_VALUE} while a probe is out. */
    long nextPermitMicros() {
        return state == State.OPEN ? openUntilMicros : Long.MAX_VALUE;
    }

    /** Records an attempt's result; returns the state it leaves the breaker in. */
    State record(long nowMicros, boolean failed) {
        if (state == State.HALF_OPEN) {
            if (failed) {
                open(nowMicros);
            } else {
                close(nowMicros);
            }
            return state;
        }
        if (state == State.OPEN) {
            return state;
        }
        outcomes.addLast(new long[] {nowMicros, failed ? 1 : 0});
        failuresInWindow += failed ? 1 : 0;
        long windowStart = nowMicros - settings.window().toNanos() / 1000;
        while (!outcomes.isEmpty()
                && (outcomes.peekFirst()[0] < windowStart || outcomes.size() > settings.windowCalls())) {
            failuresInWindow -= (int) outcomes.pollFirst()[1];
        }
        if (outcomes.size() >= settings.minimumCalls()
                && failuresInWindow >= settings.failureRate() * outcomes.size()) {
            open(nowMicros);
        }
        return state;
    }

    /** Failures and attempts in the current window, for the log line when it opens. */
    String windowSummary() {
        return failuresInWindow + " of the last " + outcomes.size() + " attempts failed";
    }

    private void open(long nowMicros) {
        if (state == State.CLOSED) {
            openedAtMicros = nowMicros;
            openings++;
        }
        state = State.OPEN;
        openUntilMicros = nowMicros + settings.openFor().toNanos() / 1000;
        probeInFlight = false;
    }

    private void close(long nowMicros) {
        state = State.CLOSED;
        openMicrosTotal += nowMicros - openedAtMicros;
        outcomes.clear();
        failuresInWindow = 0;
        probeInFlight = false;
    }

    State state() {
        return state;
    }

    /** Total time spent open or half-open, up to now. */
    long openMicrosTotal(long nowMicros) {
        return openMicrosTotal + (state == State.CLOSED ? 0 : nowMicros - openedAtMicros);
    }

    /** How often the circuit opened from closed. */
    int openings() {
        return openings;
    }
}
