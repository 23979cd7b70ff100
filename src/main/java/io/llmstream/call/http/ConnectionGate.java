package io.llmstream.call.http;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * Admits at most {@code permits} tasks at a time and queues the rest, without blocking: a task runs on
 * the thread that submits it or on the thread that releases the permit it waited for. Permits may grow
 * and shrink as call-stage instances come and go.
 */
final class ConnectionGate {
    private final Queue<Runnable> waiting = new ArrayDeque<>();
    private int permits;
    private int inUse;

    ConnectionGate(int permits) {
        this.permits = permits;
    }

    /** Runs the task now if a permit is free, later otherwise. The task must lead to one {@link #release()}. */
    void submit(Runnable task) {
        synchronized (this) {
            if (inUse >= permits) {
                waiting.add(task);
                return;
            }
            inUse++;
        }
        task.run();
    }

    /** Returns a permit, handing it straight to the oldest waiting task if there is one. */
    void release() {
        Runnable next;
        synchronized (this) {
            if (inUse > permits || (next = waiting.poll()) == null) {
                inUse--;
                return;
            }
        }
        next.run();
    }

    /** Adds permits (or takes them away, when negative); waiting tasks take the new ones at once. */
    void addPermits(int delta) {
        List<Runnable> starting = new ArrayList<>();
        synchronized (this) {
            permits += delta;
            while (inUse < permits && !waiting.isEmpty()) {
                inUse++;
                starting.add(waiting.poll());
            }
        }
        starting.forEach(Runnable::run);
    }

    synchronized int permits() {
        return permits;
    }

    synchronized int inUse() {
        return inUse;
    }

    synchronized int waiting() {
        return waiting.size();
    }
}
