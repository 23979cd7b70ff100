package io.llmstream.local.mock;

import io.netty.channel.Channel;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * {@code --slots N}: at most N admitted requests served at once, the rest waiting in one FIFO queue,
 * as a self-hosted inference server (vLLM, TGI, Ollama, llama-server {@code -np N}) queues what its
 * batch cannot take instead of refusing it. A request's latency starts when it gets a slot, so its
 * time to first token is its wait plus its service time. Zero slots means no queue at all.
 *
 * <p>One lock guards the count of busy slots and the queue; the requests of every event loop meet
 * here. A slot is granted on the thread that frees it, and the request then starts on its own event
 * loop. A waiting request whose client goes away leaves the queue without taking a slot.
 */
final class MockSlots {

    private enum State { WAITING, SERVING, DONE }

    /** One request's place: waiting, holding a slot, or done with it. */
    static final class Ticket {
        private final Channel channel;
        private final Executor executor;
        private final Runnable serve;
        private final long enteredNanos;
        private State state;
        private boolean servedAtOnce;

        private Ticket(Channel channel, Executor executor, Runnable serve, long enteredNanos) {
            this.channel = channel;
            this.executor = executor;
            this.serve = serve;
            this.enteredNanos = enteredNanos;
        }

        /** Whether {@link #enter} gave it a slot at once: then its caller serves it, nobody else. */
        boolean servedAtOnce() {
            return servedAtOnce;
        }
    }

    private final int slots;
    private final MockCounters counters;
    private final LongSupplier nanoClock;
    private final ArrayDeque<Ticket> queue = new ArrayDeque<>();
    private int busy;

    MockSlots(int slots, MockCounters counters, LongSupplier nanoClock) {
        this.slots = slots;
        this.counters = counters;
        this.nanoClock = nanoClock;
    }

    /** Whether every request is served at once ({@code --slots 0}). */
    boolean unlimited() {
        return slots == 0;
    }

    /**
     * Takes a free slot or a place at the end of the queue. When the ticket comes back
     * {@link Ticket#servedAtOnce}, the caller runs {@code serve} itself; a waiting one is run on
     * {@code executor} when its turn comes, if its channel is still open then.
     */
    Ticket enter(Channel channel, Executor executor, Runnable serve) {
        Ticket ticket = new Ticket(channel, executor, serve, nanoClock.getAsLong());
        synchronized (this) {
            if (busy < slots && queue.isEmpty()) {
                take(ticket);
                ticket.servedAtOnce = true;
            } else {
                ticket.state = State.WAITING;
                queue.addLast(ticket);
                counters.enqueued();
            }
        }
        return ticket;
    }

    /**
     * The request is answered, its stream ended or broke, or its client went away: a held slot goes
     * to the next waiting request whose client is still there; a waiting request leaves the queue.
     */
    void leave(Ticket ticket) {
        Ticket next;
        synchronized (this) {
            State was = ticket.state;
            ticket.state = State.DONE;
            if (was == State.WAITING) {
                queue.remove(ticket);
                counters.dequeued();
                return;
            }
            if (was != State.SERVING) {
                return;
            }
            busy--;
            next = null;
            while (next == null && !queue.isEmpty()) {
                Ticket head = queue.pollFirst();
                counters.dequeued();
                if (head.channel.isActive()) {
                    next = head;
                    take(next);
                } else {
                    head.state = State.DONE;
                }
            }
        }
        if (next != null) {
            next.executor.execute(next.serve);
        }
    }

    /** Under the lock: the ticket holds a slot from now on. */
    private void take(Ticket ticket) {
        ticket.state = State.SERVING;
        busy++;
        counters.servedAfter(nanoClock.getAsLong() - ticket.enteredNanos);
    }
}
