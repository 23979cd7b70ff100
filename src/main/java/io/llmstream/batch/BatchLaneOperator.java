package io.llmstream.batch;

import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.CallResult;
import io.llmstream.record.ParsedInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;

/**
 * The batch lane: the records of models' batch lanes (keyed by model) collect into batches of the provider's
 * Batch API, one {@link LaneRunner} per model; what becomes of each line leaves as the call stage's results do,
 * towards the same router and sinks.
 *
 * <p>Each model's lane is keyed state of its model, written whole at each checkpoint (the lines waiting and in
 * open batches, with their parsed requests; a few hundred bytes each), so that after a restore, at any
 * parallelism, it comes back whole to the instance that reads that model. A timer every
 * {@value #TICK_MILLIS} ms runs the answers the API gave, cuts batches and polls the open ones.
 */
public final class BatchLaneOperator extends AbstractStreamOperator<CallResult>
        implements OneInputStreamOperator<ParsedInput, CallResult>, BoundedOneInput {
    static final long TICK_MILLIS = 200;
    private static final String LANE_STATE = "batch-lane";
    /** How long one call of the files or batches endpoint may take (a file of 200 MB included). */
    static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;

    private transient Map<String, LaneRunner> lanes;
    private transient Queue<Runnable> arrivals;
    private transient SharedHttpClient.Lease http;
    private transient ValueState<LaneCheckpoint.LaneMark> laneState;
    private transient ListState<LaneCheckpoint.BatchMark> batchState;
    private transient ListState<LaneCheckpoint.LineMark> lineState;
    private transient Counter linesTaken;
    private transient MailboxExecutor mailbox;

    public BatchLaneOperator(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open() throws Exception {
        super.open();
        lanes = new LinkedHashMap<>();
        arrivals = new ConcurrentLinkedQueue<>();
        http = SharedHttpClient.acquire(config.http(), 8);
        laneState = getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                new ValueStateDescriptor<>(LANE_STATE, LaneCheckpoint.LaneMark.class));
        batchState = getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                new ListStateDescriptor<>("batch-lane-batches", LaneCheckpoint.BatchMark.class));
        lineState = getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                new ListStateDescriptor<>("batch-lane-lines", LaneCheckpoint.LineMark.class));
        restore();
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(TaskMailbox.MIN_PRIORITY);
        registerMetrics(getMetricGroup().addGroup("batchLane"));
        scheduleTick();
    }

    /** The lanes of the models whose key groups are this instance's, from a checkpoint's keyed state. */
    private void restore() throws Exception {
        List<String> models = new ArrayList<>();
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> keys = backend.getKeys(LANE_STATE, VoidNamespace.INSTANCE)) {
            keys.forEach(models::add);
        }
        for (String name : models) {
            setCurrentKey(name);
            LaneCheckpoint.LaneMark mark = laneState.value();
            ModelSettings model = config.models().get(name);
            if (mark == null) {
                continue;
            }
            if (model == null || !model.hasBatchLane()) {
                long lines = 0;
                for (LaneCheckpoint.LineMark ignored : lineState.get()) {
                    lines++;
                }
                if (lines > 0) {
                    throw new IllegalStateException("models." + name + ".batch-lane is not configured, but the "
                            + "checkpoint holds " + lines + " records in its batch lane: configure it again until "
                            + "they are answered");
                }
                continue;
            }
            ModelLane lane = LaneCheckpoint.read(mark, batchState.get(), lineState.get(), model.batchLane(),
                    config.call().retry().maxAttempts());
            lanes.put(name, new LaneRunner(model, mark.laneId(), lane, api(model), arrivals, true));
        }
    }

    private BatchApi api(ModelSettings model) {
        EndpointSettings endpoint = config.endpointOf(model.name());
        List<ApiKey> keys = endpoint.apiKeys();
        // The lane uses the endpoint's first key: batches are found again by the key that created them.
        return new BatchApi(endpoint, keys.isEmpty() ? null : keys.get(0).secret(), http, CALL_TIMEOUT);
    }

    private void registerMetrics(MetricGroup group) {
        linesTaken = group.counter("linesTaken");
        group.gauge("openBatches", () -> lanes.values().stream().mapToLong(r -> r.lane().openBatches()).sum());
        group.gauge("waitingLines", () -> lanes.values().stream().mapToLong(r -> r.lane().waitingLines()).sum());
        group.gauge("submittedLines", () -> lanes.values().stream().mapToLong(LaneRunner::submittedLines).sum());
        group.gauge("oldestOpenBatchAgeMs", () -> {
            long now = System.currentTimeMillis();
            return lanes.values().stream().mapToLong(r -> r.oldestOpenBatchAgeMillis(now)).max().orElse(0);
        });
    }

    @Override
    public void processElement(StreamRecord<ParsedInput> element) {
        ParsedInput input = element.getValue();
        if (!input.isValid()) {
            output.collect(new StreamRecord<>(CallResult.invalidInput(input.deadLetter())));
            return;
        }
        String model = input.request().model();
        LaneRunner runner = lanes.computeIfAbsent(model, name -> newLane(config.models().get(name)));
        if (runner.add(input.request(), System.currentTimeMillis())) {
            linesTaken.inc();
        }
    }

    /**
     * A lane the checkpoint did not hold. Its id is the job's and the model's: a job that failed before its first
     * checkpoint keeps its id, and its new attempt finds the batches the failed one sent (and adopts them).
     */
    private LaneRunner newLane(ModelSettings model) {
        String laneId = getRuntimeContext().getJobInfo().getJobId() + "/" + model.name();
        boolean retried = getRuntimeContext().getTaskInfo().getAttemptNumber() > 0;
        return new LaneRunner(model, laneId, new ModelLane(model.batchLane(), config.call().retry().maxAttempts()),
                api(model), arrivals, retried);
    }

    private void scheduleTick() {
        getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + TICK_MILLIS,
                time -> tick(true));
    }

    private void tick(boolean again) {
        Runnable arrived;
        while ((arrived = arrivals.poll()) != null) {
            arrived.run();
        }
        long now = System.currentTimeMillis();
        for (Map.Entry<String, LaneRunner> lane : lanes.entrySet()) {
            ModelSettings model = config.models().get(lane.getKey());
            lane.getValue().tick(now, outcome -> output.collect(new StreamRecord<>(
                    LaneResults.of(outcome, model, System.currentTimeMillis()))));
        }
        if (again) {
            scheduleTick();
        }
    }

    /**
     * A bounded job's input ended: the lanes send what they hold at once and the task waits, serving its mailbox
     * (checkpoints, timers), until every line is answered or a dead letter.
     */
    @Override
    public void endInput() throws Exception {
        lanes.values().forEach(LaneRunner::drain);
        long nextTick = 0;
        while (lanes.values().stream().anyMatch(LaneRunner::isBusy) || !arrivals.isEmpty()) {
            if (!mailbox.tryYield()) {
                Thread.sleep(10);
            }
            long now = System.currentTimeMillis();
            if (now >= nextTick) {
                tick(false);
                nextTick = now + TICK_MILLIS;
            }
        }
        output.emitWatermark(Watermark.MAX_WATERMARK);
    }

    /**
     * Watermarks stop here: the lane's results come minutes to hours after their records, and a watermark that
     * overtook them would close the metrics windows they belong to. The end of a bounded input's final watermark
     * goes on once the lanes are drained ({@link #endInput}).
     */
    @Override
    public void processWatermark(Watermark mark) {}

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        for (Map.Entry<String, LaneRunner> lane : lanes.entrySet()) {
            lane.getValue().snapshotting(context.getCheckpointId());
            List<LaneCheckpoint.LaneMark> laneMarks = new ArrayList<>();
            List<LaneCheckpoint.BatchMark> batchMarks = new ArrayList<>();
            List<LaneCheckpoint.LineMark> lineMarks = new ArrayList<>();
            LaneCheckpoint.write(lane.getKey(), lane.getValue().laneId(), lane.getValue().lane(), laneMarks,
                    batchMarks, lineMarks);
            setCurrentKey(lane.getKey());
            laneState.update(laneMarks.get(0));
            batchState.update(batchMarks);
            lineState.update(lineMarks);
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        for (LaneRunner lane : lanes.values()) {
            lane.checkpointed(checkpointId);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (http != null) {
                http.close();
                http = null;
            }
        } finally {
            super.close();
        }
    }
}
