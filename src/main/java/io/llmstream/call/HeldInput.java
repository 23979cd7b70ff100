package io.llmstream.call;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.function.ThrowingRunnable;

import java.util.Collection;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One input the call stage holds, and the future its result comes through: the result is handed to the stage on
 * the task's thread, once, whichever thread completes it.
 */
final class HeldInput<IN, OUT> implements ResultFuture<OUT> {
    final StreamRecord<IN> record;
    /** Its place among the inputs and watermarks. */
    final long sequence;
    long deadlineMillis;
    /** Set on the task's thread once the result is in. */
    Collection<OUT> results;
    boolean timedOut;
    private final AtomicBoolean completed = new AtomicBoolean();
    private final MailboxExecutor mailbox;
    private final Finish<IN, OUT> finish;

    /** What the stage does with a result, on the task's thread. */
    interface Finish<IN, OUT> {
        void finished(HeldInput<IN, OUT> input, Collection<OUT> results);
    }

    HeldInput(StreamRecord<IN> record, long sequence, long deadlineMillis, MailboxExecutor mailbox,
            Finish<IN, OUT> finish) {
        this.record = record;
        this.sequence = sequence;
        this.deadlineMillis = deadlineMillis;
        this.mailbox = mailbox;
        this.finish = finish;
    }

    @Override
    public void complete(Collection<OUT> result) {
        if (completed.compareAndSet(false, true)) {
            onTaskThread(mailbox, () -> finish.finished(this, result), "call stage result");
        }
    }

    @Override
    public void complete(CollectionSupplier<OUT> supplier) {
        if (completed.compareAndSet(false, true)) {
            onTaskThread(mailbox, () -> finish.finished(this, supplier.get()), "call stage result");
        }
    }

    @Override
    public void completeExceptionally(Throwable error) {
        if (completed.compareAndSet(false, true)) {
            onTaskThread(mailbox, () -> {
                throw new Exception("the call stage's function failed for an input", error);
            }, "call stage failure");
        }
    }

    /**
     * Runs the action on the task's thread; nothing if the task is shutting down (what the action was for is in
     * the last checkpoint and done again after a restore).
     */
    static void onTaskThread(MailboxExecutor mailbox, ThrowingRunnable<? extends Exception> action,
            String description) {
        try {
            mailbox.execute(action, description);
        } catch (RejectedExecutionException closing) {
            // The task is shutting down.
        }
    }
}
