package io.llmstream.call;

import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Admits at most {@code permits} tasks at a time and queues the rest, without blocking: a task runs on
 * the thread that submits it or on the thread that releases the permit it waited for.
 */
final class ConnectionGate {
    private final int permits;
    private final Queue<Runnable> waiting = new ArrayDeque<>();
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
            next = waiting.poll();
            if (next == null) {
                inUse--;
                return;
            }
        }
        next.run();
    }

    synchronized int inUse() {
        return inUse;
    }

    synchronized int waiting() {
        return waiting.size();
    }
}
