package io.llmstream.call;

import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.util.function.ThrowingRunnable;

import java.io.Serializable;

/**
 * Where the call stage leaves inputs it has no room for, to take them back when it has, instead of holding
 * up its input (and with it every input behind them). {@link #none()} leaves nothing: a full stage waits.
 * Every method is called on the task's thread.
 */
public interface Overflow<IN> extends Serializable {

    /** Sets up the state, before {@link #open}. */
    void initialize(OperatorStateStore store, boolean restored, KeyGroupRange keyGroups, int maxParallelism)
            throws Exception;

    /** Starts, with the way back into the stage. */
    void open(Stage<IN> stage, MetricGroup metrics);

    /** What the stage, which holds {@code held} inputs, does with an input of its own input. */
    Admission admit(IN input, int held) throws Exception;

    /** What the stage does with an input. */
    enum Admission {
        /** Takes it when it has room, holding up its input meanwhile. */
        WHEN_ROOM,
        /** Takes it now, beyond its capacity if it must. */
        NOW,
        /** Leaves it to the overflow, which hands it back later. */
        LEAVE
    }

    /** The stage took the input. */
    void taken(IN input);

    /** The input left the stage; there may be room for more. */
    void left(IN input);

    /** Whether the overflow holds no input any more. */
    boolean isEmpty();

    /** Writes what it holds into the state of the checkpoint under way. */
    void snapshot() throws Exception;

    void close() throws Exception;

    /** The stage as the overflow sees it. */
    interface Stage<IN> {
        int capacity();

        int held();

        /** Whether an input of the stage's own input waits for room; room then goes to it. */
        boolean inputWaits();

        /** Takes an input back into the stage. */
        void takeBack(IN input) throws Exception;

        /** Runs the action on the task's thread (from any thread). */
        void onTaskThread(ThrowingRunnable<? extends Exception> action, String description);

        /** Runs the action on the task's thread after {@code delayMillis}. */
        void later(long delayMillis, ThrowingRunnable<? extends Exception> action);
    }

    /** No overflow: a full stage waits for room. */
    @SuppressWarnings("unchecked")
    static <IN> Overflow<IN> none() {
        return (Overflow<IN>) NoOverflow.INSTANCE;
    }

    /** The overflow that holds nothing. */
    final class NoOverflow implements Overflow<Object> {
        private static final long serialVersionUID = 1L;
        static final NoOverflow INSTANCE = new NoOverflow();

        private NoOverflow() {}

        @Override
        public void initialize(OperatorStateStore store, boolean restored, KeyGroupRange keyGroups,
                int maxParallelism) {}

        @Override
        public void open(Stage<Object> stage, MetricGroup metrics) {}

        @Override
        public Admission admit(Object input, int held) {
            return Admission.WHEN_ROOM;
        }

        @Override
        public void taken(Object input) {}

        @Override
        public void left(Object input) {}

        @Override
        public boolean isEmpty() {
            return true;
        }

        @Override
        public void snapshot() {}

        @Override
        public void close() {}

        private Object readResolve() {
            return INSTANCE;
        }
    }
}
