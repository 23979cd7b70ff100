package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The limit stage, keyed by model group ({@link ModelGroups}: a model and its fallbacks). Keying sends
 * all of a model's requests through one parallel instance whatever the parallelism, so each model has
 * one budget for the whole job: this instance's {@link ModelDispatcher}, which the call stage chained
 * after it asks for every send. This function owns the budgets' durable side: it restores the
 * dispatchers from keyed state after a restart or a rescale and copies their state back with every
 * request, so checkpoints carry it. State is cleared once a budget is full again.
 *
 * <p>Requests pass on at once; the call stage's capacity is the brake. When it is full this function is
 * not called, the backlog stays in Kafka, and GCRA lets out no more than the burst when it lets go.
 */
public final class ModelPacer extends KeyedProcessFunction<String, LlmRequest, PacedRequest> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;
    private final ModelGroups groups;
    private transient MapState<String, BudgetState> budgets;
    private transient ValueState<Long> cleanupTimer;
    private transient Dispatchers.Lease dispatchers;

    public ModelPacer(LlmStreamConfig config) {
        this.config = config;
        this.groups = ModelGroups.of(config);
    }

    @Override
    public void open(OpenContext openContext) {
        budgets = getRuntimeContext().getMapState(new MapStateDescriptor<>("model-budgets", Types.STRING,
                TypeInformation.of(BudgetState.class)));
        cleanupTimer = getRuntimeContext().getState(new ValueStateDescriptor<>("budget-cleanup-timer", Types.LONG));
        dispatchers = Dispatchers.acquire(getRuntimeContext().getJobInfo().getJobId(), config);
    }

    @Override
    public void close() {
        if (dispatchers != null) {
            dispatchers.close();
        }
    }

    @Override
    public void processElement(LlmRequest request, Context ctx, Collector<PacedRequest> out) throws Exception {
        long nowMillis = ctx.timerService().currentProcessingTime();
        long fullAtMicros = syncBudgets(ctx.getCurrentKey(), nowMillis);
        if (fullAtMicros > 0 && cleanupTimer.value() == null) {
            // One second past the budgets' current end; requests sent until then re-arm it.
            long timer = Math.max(nowMillis, ceilMillis(fullAtMicros)) + 1000;
            ctx.timerService().registerProcessingTimeTimer(timer);
            cleanupTimer.update(timer);
        }
        out.collect(new PacedRequest(request, nowMillis));
    }

    /** Clears the state of budgets that are full again, or re-arms for when they will be. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PacedRequest> out) throws Exception {
        cleanupTimer.clear();
        long fullAtMicros = syncBudgets(ctx.getCurrentKey(), timestamp);
        if (fullAtMicros > 0) {
            long timer = ceilMillis(fullAtMicros) + 1000;
            ctx.timerService().registerProcessingTimeTimer(timer);
            cleanupTimer.update(timer);
        }
    }

    /**
     * Merges keyed state and the live dispatchers of the group's models both ways, keeps the budgets not
     * yet full in state and drops the others.
     *
     * @return the instant the last of the group's budgets is full, 0 if all are
     */
    private long syncBudgets(String group, long nowMillis) throws Exception {
        long latest = 0;
        for (String model : groups.modelsOf(group)) {
            ModelDispatcher dispatcher = dispatchers.forModel(model);
            if (!dispatcher.isLimited()) {
                continue;
            }
            BudgetState stored = budgets.get(model);
            if (stored != null) {
                dispatcher.restore(stored);
            }
            BudgetState current = dispatcher.snapshot();
            if (current.fullAtMicros() > nowMillis * 1000) {
                budgets.put(model, current);
                latest = Math.max(latest, current.fullAtMicros());
            } else if (stored != null) {
                budgets.remove(model);
            }
        }
        return latest;
    }

    private static long ceilMillis(long micros) {
        return Math.floorDiv(micros + 999, 1000);
    }
}
