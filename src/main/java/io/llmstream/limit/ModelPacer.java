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
 * The limit stage, keyed by model: gives each request the instant at which it may be sent so that the
 * model stays within its RPM and TPM limits. Because the stream is keyed by model, a model's budget
 * lives in exactly one keyed state for the whole job, whatever the parallelism, and survives
 * checkpoints, restarts and rescaling.
 *
 * <p>Requests leave at once with their admission time; the async call stage waits for it without a
 * thread. The call stage's capacity is the brake: when it is full this function is not called, the
 * backlog stays in Kafka, and the budget's GCRA state guarantees that no more than the configured
 * burst goes out when the brake lets go.
 */
public final class ModelPacer extends KeyedProcessFunction<String, LlmRequest, PacedRequest> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;
    private transient ValueState<PacingBudget> budgetState;
    private transient ModelBudgets.Lease budgets;

    public ModelPacer(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        budgetState = getRuntimeContext().getState(new ValueStateDescriptor<>("pacing-budget", PacingBudget.class));
        budgets = ModelBudgets.acquire(getRuntimeContext().getJobInfo().getJobId(), config);
    }

    @Override
    public void close() {
        if (budgets != null) {
            budgets.close();
        }
    }

    @Override
    public void processElement(LlmRequest request, Context ctx, Collector<PacedRequest> out) throws Exception {
        long nowMillis = ctx.timerService().currentProcessingTime();
        ModelBudget budget = budgets.forModel(request.model());
        if (budget.isUnlimited()) {
            out.collect(new PacedRequest(request, nowMillis * 1000, nowMillis));
            return;
        }
        PacingBudget stored = budgetState.value();
        if (stored != null) {
            budget.restore(stored);
        }
        long cost = request.tokenCost(config.model(request.model()).defaultMaxTokens());
        long admitAt = budget.reserve(nowMillis * 1000, 0, cost);
        PacingBudget after = budget.snapshot();
        long cleanupTimer = stored == null ? 0 : stored.cleanupTimerMillis();
        if (cleanupTimer == 0) {
            cleanupTimer = ceilMillis(after.fullAtMicros());
            ctx.timerService().registerProcessingTimeTimer(cleanupTimer);
        }
        budgetState.update(after.withCleanupTimer(cleanupTimer));
        out.collect(new PacedRequest(request, admitAt, nowMillis));
    }

    /** Clears the budget once it is full again, or re-arms for when it will be. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PacedRequest> out) throws Exception {
        PacingBudget stored = budgetState.value();
        if (stored == null) {
            return;
        }
        // Retries since the last element moved the live budget on; the state catches up here.
        ModelBudget live = budgets.forModel(ctx.getCurrentKey());
        live.restore(stored);
        PacingBudget budget = live.snapshot();
        if (budget.fullAtMicros() <= timestamp * 1000) {
            budgetState.clear();
        } else {
            long timer = ceilMillis(budget.fullAtMicros());
            ctx.timerService().registerProcessingTimeTimer(timer);
            budgetState.update(budget.withCleanupTimer(timer));
        }
    }

    private static long ceilMillis(long micros) {
        return Math.floorDiv(micros + 999, 1000);
    }
}
