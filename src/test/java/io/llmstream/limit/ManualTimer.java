package io.llmstream.limit;

import java.util.Comparator;
import java.util.PriorityQueue;

/** Time that moves only when a test moves it; scheduled wake-ups run as it passes them. */
final class ManualTimer implements DispatchTimer {
    private record Task(long atMicros, long order, Runnable task, boolean[] cancelled) {}

    private final PriorityQueue<Task> tasks = new PriorityQueue<>(
            Comparator.comparingLong(Task::atMicros).thenComparingLong(Task::order));
    private long nowMicros;
    private long order;

    ManualTimer(long startMicros) {
        this.nowMicros = startMicros;
    }

    @Override
    public synchronized long nowMicros() {
        return nowMicros;
    }

    @Override
    public synchronized Runnable schedule(Runnable task, long atMicros) {
        boolean[] cancelled = {false};
        tasks.add(new Task(atMicros, order++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves time to {@code targetMicros}, running every wake-up due on the way at its own instant. */
    void advanceTo(long targetMicros) {
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.atMicros() > targetMicros) {
                    nowMicros = Math.max(nowMicros, targetMicros);
                    return;
                }
                tasks.poll();
                nowMicros = Math.max(nowMicros, next.atMicros());
            }
            if (!next.cancelled()[0]) {
                next.task().run();
            }
        }
    }

    void advanceBy(long micros) {
        advanceTo(nowMicros() + micros);
    }
}
