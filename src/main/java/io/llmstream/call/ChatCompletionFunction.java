package io.llmstream.call;

import io.llmstream.config.CallSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.ShardBudget;
import io.llmstream.limit.ShardKeys;
import io.llmstream.record.CallResult;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The call stage: sends each request to its model's endpoint when its budget shard's dispatcher gives it
 * a turn, and answers with a completion or a dead letter, never an exception, so a failing provider never
 * fails the job. The work lives in {@link ChatCall}; this class wires it to Flink.
 *
 * <p>It owns the budgets it spends ({@link BudgetShards}): those of the shards that the shard router in
 * front of it sends here. They are this operator's state: snapshotted at the barrier into union operator
 * state, restored in {@link #initializeState} — before the async operator replays the requests it had in
 * flight — and, after a rescale, taken over by whichever instance owns each shard now.
 */
public final class ChatCompletionFunction extends RichAsyncFunction<PacedRequest, CallResult>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatCompletionFunction.class);
    /** Slack on top of the longest legitimate stay, so the operator's timeout only catches bugs. */
    private static final Duration OPERATOR_TIMEOUT_SLACK = Duration.ofSeconds(30);

    private final LlmStreamConfig config;
    private final ShardKeys shardKeys;

    private transient ListState<ShardBudget> budgetState;
    private transient List<ShardBudget> restoredBudgets;
    private transient SharedHttpClient.Lease http;
    private transient BudgetShards budgets;
    private transient Routes routes;
    private transient RetryPolicy retryPolicy;
    private transient CallStageGauges gauges;
    private transient EmbeddingBatcher embeddings;
    /** The requests in the stage, by identity: the operator hands the same object to its timeout. */
    private transient Map<PacedRequest, InFlight> calls;
    /** Per id, the done-future of its latest request in the stage (call.order: per-id). */
    private transient Map<String, CompletableFuture<Void>> lastById;

    public ChatCompletionFunction(LlmStreamConfig config) {
        this.config = config;
        this.shardKeys = ShardKeys.of(config);
    }

    /**
     * The async operator's timeout: above the longest a request can legitimately stay, which is the wait
     * for budget of a full capacity of the slowest model's largest requests, plus the ageing of the lowest
     * priority past the highest, plus the call deadline. A request that still hits it becomes a dead
     * letter (see {@link #timeout}).
     */
    public static Duration operatorTimeout(LlmStreamConfig config) {
        double longestIntervalMillis = 0;
        for (ModelSettings model : config.models().values()) {
            // A shard paces at its share of the limits.
            double slowdown = config.shardsOf(model.name()) / (1 - model.headroom());
            if (model.hasRpmLimit()) {
                longestIntervalMillis = Math.max(longestIntervalMillis, 60_000d / model.rpm() * slowdown);
            }
            if (model.hasTpmLimit()) {
                longestIntervalMillis = Math.max(longestIntervalMillis, 60_000d * slowdown);
            }
        }
        long budgetWait = (long) (longestIntervalMillis * stageCapacity(config));
        Duration ageing = config.call().priorityAging().multipliedBy(2L * CallSettings.PRIORITY_LEVELS);
        return config.call().timeout().plusMillis(budgetWait).plus(ageing).plus(OPERATOR_TIMEOUT_SLACK);
    }

    /**
     * The async operator's capacity: {@code call.capacity}, or more where an embedding model's batches need
     * room to fill ({@link EmbeddingBatcher#stageCapacity}).
     */
    public static int stageCapacity(LlmStreamConfig config) {
        return EmbeddingBatcher.stageCapacity(config);
    }

    /** Reads the budgets of the last checkpoint; called before {@link #open} and before any replay. */
    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        budgetState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("shard-budgets", TypeInformation.of(ShardBudget.class)));
        restoredBudgets = new ArrayList<>();
        if (context.isRestored()) {
            budgetState.get().forEach(restoredBudgets::add);
        }
    }

    /** Keeps the budgets of this instance's shards as they are at the barrier. */
    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        budgetState.update(budgets.snapshot());
    }

    @Override
    public void open(OpenContext openContext) {
        var task = getRuntimeContext().getTaskInfo();
        budgets = new BudgetShards(config, shardKeys, task.getIndexOfThisSubtask(), task.getNumberOfParallelSubtasks(),
                task.getMaxNumberOfParallelSubtasks());
        if (restoredBudgets != null) {
            budgets.restore(restoredBudgets, reason -> LOG.info("A checkpointed budget is not restored: {}", reason));
            restoredBudgets = null;
        }
        http = SharedHttpClient.acquire(config.http(), config.call().capacity());
        routes = new Routes(config, budgets);
        retryPolicy = new RetryPolicy(config.call().retry());
        gauges = new CallStageGauges(getRuntimeContext().getMetricGroup(), config, budgets);
        embeddings = new EmbeddingBatcher(config, routes, retryPolicy, http, http.timer());
        calls = Collections.synchronizedMap(new IdentityHashMap<>());
        lastById = new HashMap<>();
    }

    /**
     * Starts the request's call, or, with {@code call.order: per-id}, queues it behind the unanswered
     * request of the same id, so that records sharing an id are answered in input order while the others
     * go on.
     */
    @Override
    public void asyncInvoke(PacedRequest paced, ResultFuture<CallResult> resultFuture) {
        InFlight call = new InFlight(paced, resultFuture, config.model(paced.request().model()).isEmbedding()
                ? embeddings.call(paced) : new ChatCall(paced, config.call(), routes, retryPolicy, http));
        gauges.started(call.model());
        calls.put(paced, call);
        CompletableFuture<Void> previous = null;
        if (config.call().order() == CallSettings.Order.PER_ID) {
            synchronized (lastById) {
                previous = lastById.put(paced.request().id(), call.done);
            }
        }
        if (previous == null) {
            start(call);
        } else {
            previous.whenComplete((ignored, failure) -> start(call));
        }
    }

    private void start(InFlight call) {
        call.chat.start().whenComplete((result, failure) -> finish(call, result != null ? result
                : internalFailure(call.paced, failure)));
    }

    /** Answers a call once: whichever of its own end and the operator's timeout comes first. */
    private void finish(InFlight call, CallResult result) {
        if (calls.remove(call.paced) == null) {
            return;
        }
        gauges.finished(call.model());
        call.resultFuture.complete(Collections.singleton(result));
        call.done.complete(null);
        synchronized (lastById) {
            lastById.remove(call.paced.request().id(), call.done);
        }
    }

    /**
     * The operator's own timeout: the request is withdrawn (it leaves its model's queue and an attempt in
     * flight is aborted, so nothing is sent after this answer) and becomes a dead letter instead of a failed
     * job.
     */
    @Override
    public void timeout(PacedRequest paced, ResultFuture<CallResult> resultFuture) {
        InFlight call = calls.get(paced);
        if (call == null) {
            resultFuture.complete(Collections.singleton(deadLetter(paced, ErrorKind.TIMEOUT, timeoutMessage())));
            return;
        }
        call.chat.cancel();
        finish(call, deadLetter(paced, ErrorKind.TIMEOUT, timeoutMessage()));
    }

    /** The budgets this instance holds; for tests. */
    BudgetShards budgets() {
        return budgets;
    }

    private String timeoutMessage() {
        return "no result within the async operator's timeout of " + operatorTimeout(config).toSeconds() + "s";
    }

    @Override
    public void close() {
        if (calls != null) {
            // Withdrawn, not failed: they are in the checkpoint and asked again after a restore.
            synchronized (calls) {
                calls.values().forEach(call -> call.chat.cancel());
            }
        }
        if (embeddings != null) {
            embeddings.close();
        }
        if (http != null) {
            http.close();
        }
        if (budgets != null) {
            budgets.close();
        }
    }

    /** A request in the stage: its call, where its answer goes, and a future the next one of its id waits for. */
    private static final class InFlight {
        final PacedRequest paced;
        final ResultFuture<CallResult> resultFuture;
        final StageCall chat;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        InFlight(PacedRequest paced, ResultFuture<CallResult> resultFuture, StageCall chat) {
            this.paced = paced;
            this.resultFuture = resultFuture;
            this.chat = chat;
        }

        String model() {
            return paced.request().model();
        }
    }

    private CallResult internalFailure(PacedRequest paced, Throwable failure) {
        return deadLetter(paced, ErrorKind.INTERNAL, String.valueOf(failure));
    }

    private CallResult deadLetter(PacedRequest paced, ErrorKind kind, String message) {
        LlmRequest request = paced.request();
        long elapsed = Math.max(0, System.currentTimeMillis() - paced.pacedAtMillis());
        long charged = Charges.tokens(request, config.model(request.model()));
        return CallResult.failure(request,
                DeadLetter.failedRequest(request, kind, 0, null, message, 0, request.model(), null, elapsed),
                new MetricEvent(request.model(), null, kind, 0, elapsed, 0, 0, 0, charged, 0, false, -1, -1));
    }
}
