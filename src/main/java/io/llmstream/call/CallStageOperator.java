package io.llmstream.call;

import org.apache.flink.api.common.functions.util.FunctionUtils;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;
import org.apache.flink.runtime.operators.coordination.OperatorEventGateway;
import org.apache.flink.runtime.operators.coordination.OperatorEventHandler;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamElement;
import org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.util.function.ThrowingRunnable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The operator of the call stage: it hands each input to an {@link AsyncFunction} and emits the results as
 * they come ({@code ordered: false}) or in input order, holding at most {@code capacity} inputs at once —
 * the semantics of Flink's async I/O operator, with one difference that keeps checkpoints going.
 *
 * <p>Two differences keep checkpoints going while requests wait for budget, whatever the network settings:
 * <ul>
 *   <li><b>Waiting for room lets checkpoints through.</b> When the operator is full it waits for room on the
 *       task's mailbox at the lowest priority, so a checkpoint barrier is handled meanwhile (an operator
 *       waiting at its own priority, as Flink's async operator does, holds every barrier until one request
 *       ends, which at a slow or spent limit is minutes). The input that waits for room is part of the
 *       snapshot. This is safe because the operator always heads its chain: the exchange by budget shard is
 *       in front of it, so no chained operator is in the middle of a record while it waits.
 *   <li><b>What was in flight at the restored checkpoint is taken in at once.</b> Records that wait for
 *       budget wait in the exchange in front of this operator, on both sides of it, where an unaligned
 *       checkpoint stores them. After a restore Flink delivers them again before anything else: first those
 *       stored on this side (the task runs, and checkpoints, only once it has taken them all), then those the
 *       sending side stored, and that side lets nothing through behind them, checkpoint barriers included,
 *       until every one is taken in. An operator that takes no more than its capacity would take them at the
 *       rate the budget lets requests out, and hold the next checkpoint for a minute and more with Flink's
 *       default network buffers. So an input made before the restored checkpoint was taken ({@link
 *       MadeAtMillis}) is taken without waiting for room: the function holds it as it holds any request
 *       waiting for its turn, and it is in the next checkpoint as this operator's state. Their number is
 *       bounded by the network buffers of the exchange. Inputs read again from the source after the restore
 *       were made after the checkpoint and wait for room as usual.
 * </ul>
 *
 * <p>Its state is the inputs it holds, as union list state: after a rescale each instance keeps those whose
 * key belongs to its key groups now, so a request is always replayed where its budget shard lives. The
 * function's own state is kept by {@link AbstractUdfStreamOperator}. Every input that is not answered
 * within the timeout is handed to {@link AsyncFunction#timeout}; checks run once a second, oldest first.
 */
public final class CallStageOperator<IN, OUT> extends AbstractUdfStreamOperator<OUT, AsyncFunction<IN, OUT>>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, OperatorEventHandler {
    private static final long serialVersionUID = 1L;
    static final String STATE_NAME = "call-stage-inputs";
    static final String SNAPSHOT_TIMES_STATE_NAME = "call-stage-snapshot-times";
    private static final long TIMEOUT_CHECK_MILLIS = 1000;

    private final int capacity;
    private final long timeoutMillis;
    private final long extraMillisPerInput;
    private final boolean ordered;
    private final MadeAtMillis<IN> madeAt;
    private final Overflow<IN> overflow;
    private final transient MailboxExecutor mailbox;
    private final transient ProcessingTimeService timeService;

    /** Waits at the lowest priority, so that checkpoints and every other mail go on meanwhile. */
    private transient MailboxExecutor checkpointingMailbox;
    /**
     * Inputs made before this wall-clock time were in flight when the restored checkpoint was taken: the
     * earliest time any instance took its snapshot for it; {@code Long.MIN_VALUE} when nothing was restored.
     */
    private transient long inFlightBeforeMillis;
    private transient ListState<Long> snapshotTimes;
    /** The input that waits for room, if any: taken from the exchange, not yet held. */
    private transient StreamRecord<IN> waitingForRoom;
    private transient TimestampedCollector<OUT> collector;
    private transient ListState<StreamElement> held;
    private transient List<StreamRecord<IN>> restoredInputs;
    /** Inputs not yet emitted, in input order. */
    private transient LinkedHashSet<HeldInput<IN, OUT>> pending;
    /** Watermarks waiting for the inputs before them, in order. */
    private transient ArrayDeque<HeldWatermark> watermarks;
    private transient long sequence;
    private transient boolean timeoutCheckScheduled;

    /**
     * @param capacity the inputs held at once while the task runs
     * @param timeoutMillis how long an input may be held before its timeout, counted from when there was
     *     room for it
     * @param extraMillisPerInput how much longer an input taken beyond the capacity (while restoring) may be
     *     held for each input ahead of it beyond the capacity
     * @param ordered whether results leave in input order rather than as they come
     * @param madeAt when an input was made, to tell after a restore what was in flight at the checkpoint
     * @param overflow where inputs the stage has no room for may wait instead of in front of it
     */
    CallStageOperator(StreamOperatorParameters<OUT> parameters, AsyncFunction<IN, OUT> function, int capacity,
            long timeoutMillis, long extraMillisPerInput, boolean ordered, MadeAtMillis<IN> madeAt,
            Overflow<IN> overflow) {
        super(parameters, function);
        // The superclass sets up the operator before it holds the function, so the function's context is set here.
        FunctionUtils.setFunctionRuntimeContext(function, getRuntimeContext());
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
        this.timeoutMillis = timeoutMillis;
        this.extraMillisPerInput = extraMillisPerInput;
        this.ordered = ordered;
        this.madeAt = madeAt;
        this.overflow = overflow;
        this.mailbox = parameters.getMailboxExecutor();
        this.timeService = parameters.getProcessingTimeService();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        TypeSerializer<IN> inputSerializer = getOperatorConfig().getTypeSerializerIn(0, getUserCodeClassloader());
        held = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>(STATE_NAME, new StreamElementSerializer<>(inputSerializer)));
        snapshotTimes = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>(SNAPSHOT_TIMES_STATE_NAME, LongSerializer.INSTANCE));
        restoredInputs = new ArrayList<>();
        var task = getRuntimeContext().getTaskInfo();
        overflow.initialize(context.getOperatorStateStore(), context.isRestored(),
                KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(task.getMaxNumberOfParallelSubtasks(),
                        task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask()),
                task.getMaxNumberOfParallelSubtasks());
        inFlightBeforeMillis = Long.MIN_VALUE;
        if (context.isRestored()) {
            long earliest = Long.MAX_VALUE;
            for (long time : snapshotTimes.get()) {
                earliest = Math.min(earliest, time);
            }
            inFlightBeforeMillis = earliest == Long.MAX_VALUE ? Long.MIN_VALUE : earliest;
            for (StreamElement element : held.get()) {
                if (element.isRecord() && belongsHere(element.<IN>asRecord().getValue())) {
                    restoredInputs.add(element.asRecord());
                }
            }
        }
    }

    /** Whether this instance's key groups hold the input's key (always, when the stream is not keyed). */
    @SuppressWarnings("unchecked")
    private boolean belongsHere(IN input) throws Exception {
        KeySelector<IN, ?> keys = (KeySelector<IN, ?>) getStateKeySelector1();
        if (keys == null) {
            return true;
        }
        var task = getRuntimeContext().getTaskInfo();
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(keys.getKey(input),
                task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks())
                == task.getIndexOfThisSubtask();
    }

    @Override
    public void open() throws Exception {
        super.open();
        checkpointingMailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(TaskMailbox.MIN_PRIORITY);
        collector = new TimestampedCollector<>(output);
        pending = new LinkedHashSet<>();
        watermarks = new ArrayDeque<>();
        for (StreamRecord<IN> input : restoredInputs) {
            accept(input);
        }
        restoredInputs = null;
        overflow.open(new OverflowStage(), getMetricGroup());
    }

    @Override
    public void processElement(StreamRecord<IN> record) throws Exception {
        Overflow.Admission admission = overflow.admit(record.getValue(), pending.size());
        if (admission == Overflow.Admission.LEAVE) {
            return;
        }
        if (admission == Overflow.Admission.WHEN_ROOM && pending.size() >= capacity && !inFlightAtRestoredCheckpoint(record.getValue())) {
            waitingForRoom = record;
            while (pending.size() >= capacity) {
                checkpointingMailbox.yield();
            }
            waitingForRoom = null;
        }
        accept(record);
    }

    /**
     * Whether the input was in flight when the restored checkpoint was taken, so Flink stored it in the exchange
     * and delivers it again ahead of everything else. It was made before the source's snapshot, which came
     * before every snapshot of this stage; clocks of other machines that run a few milliseconds apart can make
     * only the very last of them wait for room, which under a binding limit is one request's turn.
     */
    private boolean inFlightAtRestoredCheckpoint(IN input) {
        return madeAt.of(input) < inFlightBeforeMillis;
    }

    private void accept(StreamRecord<IN> record) throws Exception {
        long beyond = Math.max(0, pending.size() + 1 - capacity);
        HeldInput<IN, OUT> slot = new HeldInput<>(record, sequence++, timeService.getCurrentProcessingTime()
                + timeoutMillis + beyond * extraMillisPerInput, mailbox, this::finished);
        pending.add(slot);
        overflow.taken(record.getValue());
        scheduleTimeoutCheck();
        userFunction.asyncInvoke(record.getValue(), slot);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermarks.add(new HeldWatermark(mark, sequence++));
        emitWatermarks();
    }

    @Override
    public void endInput() throws Exception {
        while (!pending.isEmpty() || !overflow.isEmpty()) {
            checkpointingMailbox.yield();
        }
        emitWatermarks();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<StreamElement> inputs = new ArrayList<>(pending.size() + 1);
        for (HeldInput<IN, OUT> slot : pending) {
            inputs.add(slot.record);
        }
        if (waitingForRoom != null) {
            inputs.add(waitingForRoom);
        }
        held.update(inputs);
        snapshotTimes.update(List.of(timeService.getCurrentProcessingTime()));
        overflow.snapshot();
    }

    @Override
    public void close() throws Exception {
        try {
            overflow.close();
        } finally {
            super.close();
        }
    }

    /** A result, on the task's thread. */
    private void finished(HeldInput<IN, OUT> slot, Collection<OUT> results) {
        if (slot.results != null) {
            return;
        }
        slot.results = results;
        if (ordered) {
            Iterator<HeldInput<IN, OUT>> inOrder = pending.iterator();
            while (inOrder.hasNext()) {
                HeldInput<IN, OUT> first = inOrder.next();
                if (first.results == null) {
                    break;
                }
                inOrder.remove();
                emit(first);
            }
        } else {
            pending.remove(slot);
            emit(slot);
        }
        emitWatermarks();
    }

    private void emit(HeldInput<IN, OUT> slot) {
        if (slot.record.hasTimestamp()) {
            collector.setAbsoluteTimestamp(slot.record.getTimestamp());
        } else {
            collector.eraseTimestamp();
        }
        for (OUT result : slot.results) {
            collector.collect(result);
        }
        overflow.left(slot.record.getValue());
    }

    /** Emits the watermarks that no held input precedes any more. */
    private void emitWatermarks() {
        long firstHeld = pending.isEmpty() ? Long.MAX_VALUE : pending.iterator().next().sequence;
        while (!watermarks.isEmpty() && watermarks.peekFirst().sequence < firstHeld) {
            output.emitWatermark(watermarks.pollFirst().mark);
        }
    }

    private void scheduleTimeoutCheck() {
        if (!timeoutCheckScheduled) {
            timeoutCheckScheduled = true;
            timeService.registerTimer(timeService.getCurrentProcessingTime() + TIMEOUT_CHECK_MILLIS,
                    this::checkTimeouts);
        }
    }

    /**
     * Hands every input held past its deadline to the function's timeout, oldest first; one the function says
     * rightly waits longer gets that long again.
     */
    @SuppressWarnings("unchecked")
    private void checkTimeouts(long firedFor) throws Exception {
        timeoutCheckScheduled = false;
        long now = timeService.getCurrentProcessingTime();
        List<HeldInput<IN, OUT>> expired = new ArrayList<>();
        for (HeldInput<IN, OUT> slot : pending) {
            if (slot.deadlineMillis <= now && slot.results == null && !slot.timedOut) {
                long waitsUntil = userFunction instanceof PatientFunction<?> patient
                        ? ((PatientFunction<IN>) patient).waitsUntilMillis(slot.record.getValue()) : Long.MIN_VALUE;
                if (waitsUntil > now) {
                    slot.deadlineMillis = waitsUntil + timeoutMillis;
                } else {
                    expired.add(slot);
                }
            }
        }
        for (HeldInput<IN, OUT> slot : expired) {
            slot.timedOut = true;
            userFunction.timeout(slot.record.getValue(), slot);
        }
        if (!pending.isEmpty()) {
            scheduleTimeoutCheck();
        }
    }

    /**
     * Connects a {@link CoordinatedFunction} to the operator's coordinator: its events leave from the task's
     * thread, as Flink's gateway requires, whichever thread sends them.
     */
    void connectCoordinator(OperatorEventGateway gateway) {
        // When the task is shutting down, what an event said is settled by the restore.
        ((CoordinatedFunction) userFunction).connect(event -> HeldInput.onTaskThread(mailbox,
                () -> gateway.sendEventToCoordinator(event), "event to the coordinator"));
    }

    @Override
    public void handleOperatorEvent(OperatorEvent event) {
        ((CoordinatedFunction) userFunction).handle(event);
    }

    /** The stage as its overflow sees it. */
    private final class OverflowStage implements Overflow.Stage<IN> {
        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int held() {
            return pending.size();
        }

        @Override
        public boolean inputWaits() {
            return waitingForRoom != null;
        }

        @Override
        public void takeBack(IN input) throws Exception {
            accept(new StreamRecord<>(input));
        }

        @Override
        public void onTaskThread(ThrowingRunnable<? extends Exception> action, String description) {
            HeldInput.onTaskThread(mailbox, action, description);
        }

        @Override
        public void later(long delayMillis, ThrowingRunnable<? extends Exception> action) {
            timeService.registerTimer(timeService.getCurrentProcessingTime() + delayMillis, time -> action.run());
        }
    }

    /** A held watermark and its place among the inputs. */
    private record HeldWatermark(Watermark mark, long sequence) {}
}
