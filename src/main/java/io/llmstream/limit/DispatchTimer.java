package io.llmstream.limit;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Wakes a dispatcher at an instant; a seam so tests can run time by hand. */
public interface DispatchTimer {
    /** The current time, epoch microseconds. */
    long nowMicros();

    /** Runs the task at (or soon after) the instant; returns a handle that cancels it. */
    Runnable schedule(Runnable task, long atMicros);

    /** Wall-clock time and one daemon thread that only dispatches, never blocks. */
    static DispatchTimer system(ScheduledExecutorService executor) {
        return new DispatchTimer() {
            @Override
            public long nowMicros() {
                return System.currentTimeMillis() * 1000;
            }

            @Override
            public Runnable schedule(Runnable task, long atMicros) {
                ScheduledFuture<?> future = executor.schedule(task, atMicros - nowMicros(), TimeUnit.MICROSECONDS);
                return () -> future.cancel(false);
            }
        };
    }

    /** The single dispatch thread. */
    static ScheduledExecutorService newExecutor() {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "llmstream-dispatch");
            thread.setDaemon(true);
            return thread;
        });
    }
}
