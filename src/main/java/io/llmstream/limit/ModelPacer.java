package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The limit stage, keyed by model. Keying sends all of a model's requests through one parallel instance
 * whatever the parallelism, so the model has one budget for the whole job: this instance's
 * {@link ModelDispatcher}, which the call stage chained after it asks for every send. This function
 * owns that budget's durable side: it restores the dispatcher from keyed state after a restart or a
 * rescale and copies the dispatcher's state back into keyed state with every request, so checkpoints
 * carry it. State is cleared once the budget is full again.
 *
 * <p>Requests pass on at once; the call stage's capacity is the brake. When it is full this function is
 * not called, the backlog stays in Kafka, and GCRA lets out no more than the burst when it lets go.
 */
public final class ModelPacer extends KeyedProcessFunction<String, LlmRequest, PacedRequest> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;
    private transient ValueState<BudgetState> budgetState;
    private transient Dispatchers.Lease dispatchers;

    public ModelPacer(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        budgetState = getRuntimeContext().getState(new ValueStateDescriptor<>("model-budget", BudgetState.class));
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
        ModelDispatcher dispatcher = dispatchers.forModel(request.model());
        if (dispatcher.isLimited()) {
            BudgetState stored = budgetState.value();
            if (stored != null) {
                dispatcher.restore(stored);
            }
            BudgetState current = dispatcher.snapshot();
            long cleanupTimer = stored == null ? 0 : stored.cleanupTimerMillis();
            if (cleanupTimer == 0) {
                // One second past the current budget's end; requests sent until then re-arm it.
                cleanupTimer = Math.max(nowMillis, ceilMillis(current.fullAtMicros())) + 1000;
                ctx.timerService().registerProcessingTimeTimer(cleanupTimer);
            }
            budgetState.update(current.withCleanupTimer(cleanupTimer));
        }
        out.collect(new PacedRequest(request, nowMillis));
    }

    /** Clears the state once the budget is full again, or re-arms for when it will be. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PacedRequest> out) throws Exception {
        BudgetState stored = budgetState.value();
        if (stored == null) {
            return;
        }
        ModelDispatcher dispatcher = dispatchers.forModel(ctx.getCurrentKey());
        dispatcher.restore(stored);
        BudgetState current = dispatcher.snapshot();
        if (current.fullAtMicros() <= timestamp * 1000) {
            budgetState.clear();
        } else {
            long timer = ceilMillis(current.fullAtMicros());
            ctx.timerService().registerProcessingTimeTimer(timer);
            budgetState.update(current.withCleanupTimer(timer));
        }
    }

    private static long ceilMillis(long micros) {
        return Math.floorDiv(micros + 999, 1000);
    }
}
