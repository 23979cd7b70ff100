package io.llmstream.limit;

/**
 * The one wake-up a {@link ModelDispatcher} keeps armed on its {@link DispatchTimer}: for the next ticket whose
 * turn comes by time alone. Setting it to another instant cancels the one before; setting it to the instant it
 * holds does nothing. Not thread-safe: its dispatcher guards it.
 */
final class DispatchAlarm {
    private final DispatchTimer timer;
    private final Runnable wakeUp;
    private Runnable cancel;
    private long atMicros = Long.MAX_VALUE;

    DispatchAlarm(DispatchTimer timer, Runnable wakeUp) {
        this.timer = timer;
        this.wakeUp = wakeUp;
    }

    /** Arms the wake-up for {@code at}; {@link Long#MAX_VALUE} disarms it. */
    void set(long at) {
        if (at == atMicros) {
            return;
        }
        if (cancel != null) {
            cancel.run();
            cancel = null;
        }
        atMicros = at;
        if (at != Long.MAX_VALUE) {
            cancel = timer.schedule(wakeUp, at);
        }
    }

    /** The wake-up ran: nothing is armed. */
    void fired() {
        cancel = null;
        atMicros = Long.MAX_VALUE;
    }
}
