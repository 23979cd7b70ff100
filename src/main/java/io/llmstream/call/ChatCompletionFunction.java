package io.llmstream.call;

import io.llmstream.call.cache.AnswerCache;
import io.llmstream.call.cache.CacheHit;
import io.llmstream.call.embed.EmbeddingBatcher;
import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.call.merge.PromptMerger;
import io.llmstream.config.CallSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.ShardBudget;
import io.llmstream.limit.ShardKeys;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.QueuedRequest;
import org.apache.flink.api.common.functions.OpenContext;
import io.llmstream.spend.SpendEvent;
import io.llmstream.spend.TenantWallet;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;
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
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The call stage: sends each request to its model's endpoint when its budget shard's dispatcher gives it
 * a turn, and answers with a completion or a dead letter, never an exception, so a failing provider never
 * fails the job. The work lives in {@link ChatCall}; this class wires it to Flink.
 *
 * <p>It owns the budgets it spends ({@link BudgetShards}): those of the shards that the shard router in
 * front of it sends here. They are this operator's state: snapshotted at the barrier into union operator
 * state, restored in {@link #initializeState} — before the async operator replays the requests it had in
 * flight — and, after a rescale, taken over by whichever instance owns each shard now.
 *
 * <p>For a model with a {@code cache}, a request first asks the model's {@link AnswerCache}: a repeat of an
 * answered request is answered at once, one of a request under way waits for that call, and only the
 * first makes a call (see {@link #start}). The cache is not checkpointed: a restart only costs repeats one
 * new call, and the answers still leave through the same transactional sinks.
 */
public final class ChatCompletionFunction extends RichAsyncFunction<ParsedInput, CallResult>
        implements CheckpointedFunction, CoordinatedFunction, PatientFunction<ParsedInput> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatCompletionFunction.class);
    /** Slack on top of the longest legitimate stay, so the operator's timeout only catches bugs. */
    private static final Duration OPERATOR_TIMEOUT_SLACK = Duration.ofSeconds(30);

    private final LlmStreamConfig config;
    private final ShardKeys shardKeys;

    private transient ListState<ShardBudget> budgetState;
    /** This instance's share of the tenants' spend caps; null when no tenant has one (and no coordinator runs). */
    private transient TenantWallet wallet;
    private transient ListState<TenantWallet.Holding> walletState;
    private transient List<ShardBudget> restoredBudgets;
    private transient SharedHttpClient.Lease http;
    private transient BudgetShards budgets;
    private transient Routes routes;
    private transient RetryPolicy retryPolicy;
    private transient JsonAnswerCheck answerCheck;
    private transient CallStageGauges gauges;
    private transient EmbeddingBatcher embeddings;
    /** The requests in the stage, by identity of their input: the operator hands the same object to its timeout. */
    private transient Map<ParsedInput, InFlight> calls;
    /** Per id, the done-future of its latest request in the stage (call.order: per-id). */
    private transient Map<String, CompletableFuture<Void>> lastById;
    /** The answer caches of the models that have one, by model name. */
    private transient Map<String, AnswerCache<InFlight>> caches;
    /** Merges single prompts of the models with {@code merge}; null when none has it. */
    private transient PromptMerger merger;
    /** Estimates the prompts a source left unestimated ({@link LlmRequest#NOT_ESTIMATED}). */
    private transient PromptParser estimates;

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
        long budgetWait = (long) (longestIntervalMillis(config) * stageCapacity(config));
        Duration ageing = config.call().priorityAging().multipliedBy(2L * CallSettings.PRIORITY_LEVELS);
        return config.call().timeout().plusMillis(budgetWait).plus(ageing).plus(OPERATOR_TIMEOUT_SLACK)
                .plus(PromptMerger.extraStay(config));
    }

    /**
     * The longest a request can wait for budget behind one other: the interval between two requests of the
     * most limited shard (a whole minute where a request can take a shard's whole token budget).
     */
    public static long longestIntervalMillis(LlmStreamConfig config) {
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
        return (long) Math.ceil(longestIntervalMillis);
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
        if (wallet != null) {
            // Spread, not union: after a rescale each holding is taken over by one instance, so the sums stay.
            walletState = context.getOperatorStateStore().getListState(
                    new ListStateDescriptor<>("tenant-spend", TypeInformation.of(TenantWallet.Holding.class)));
            if (context.isRestored()) {
                wallet.restore(walletState.get());
            }
        }
    }

    @Override
    public void connect(Consumer<OperatorEvent> toCoordinator) {
        wallet = new TenantWallet(toCoordinator::accept, System::currentTimeMillis);
    }

    @Override
    public void handle(OperatorEvent event) {
        if (event instanceof SpendEvent.Grant grant) {
            wallet.granted(grant);
        } else if (event instanceof SpendEvent.Reclaim reclaim) {
            wallet.reclaimed(reclaim);
        }
    }

    /** A capped tenant's requests wait past the operator's timeout while it waits for a new day's spend. */
    @Override
    public long waitsUntilMillis(ParsedInput input) {
        return input.request() == null || routes == null || routes.spend() == null ? Long.MIN_VALUE
                : routes.spend().waitsUntilMillis(input.request());
    }

    /** Keeps the budgets of this instance's shards as they are at the barrier. */
    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        budgetState.update(budgets.snapshot());
        if (wallet != null) {
            walletState.update(wallet.snapshot());
        }
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
        estimates = new PromptParser(config);
        if (wallet == null && !config.spendCaps().isEmpty()) {
            throw new IllegalStateException("tenants have spend caps, but the call stage has no spend coordinator: "
                    + "build it with CoordinatedCallStageOperatorFactory");
        }
        routes = new Routes(config, budgets, wallet);
        retryPolicy = new RetryPolicy(config.call().retry());
        answerCheck = JsonAnswerCheck.of(config.records());
        gauges = new CallStageGauges(getRuntimeContext().getMetricGroup(), config, budgets, wallet);
        embeddings = new EmbeddingBatcher(config, routes, retryPolicy, http, http.timer());
        calls = Collections.synchronizedMap(new IdentityHashMap<>());
        lastById = new HashMap<>();
        caches = new HashMap<>();
        for (ModelSettings model : config.models().values()) {
            if (model.cache().enabled()) {
                caches.put(model.name(), new AnswerCache<>(model.cache(), System::currentTimeMillis));
            }
        }
        if (PromptMerger.configured(config)) {
            merger = new PromptMerger(config,
                    queued -> new ChatCall(queued, config.call(), routes, retryPolicy, http, answerCheck),
                    getRuntimeContext().getMetricGroup());
        }
    }

    /**
     * Starts the request's call, or, with {@code call.order: per-id}, queues it behind the unanswered
     * request of the same id, so that records sharing an id are answered in input order while the others
     * go on.
     */
    @Override
    public void asyncInvoke(ParsedInput input, ResultFuture<CallResult> resultFuture) {
        // Itself, unless its source read past what it left in Kafka and left the estimate to the stage.
        ParsedInput estimated = estimates.estimated(input);
        LlmRequest request = estimated.request();
        if (request == null) {
            resultFuture.complete(Collections.singleton(CallResult.invalidInput(estimated.deadLetter())));
            return;
        }
        QueuedRequest queued = new QueuedRequest(request, shardKeys.shardOf(request), System.currentTimeMillis());
        InFlight call = new InFlight(input, queued, resultFuture);
        gauges.started(call.model());
        calls.put(input, call);
        CompletableFuture<Void> previous = null;
        if (config.call().order() == CallSettings.Order.PER_ID) {
            synchronized (lastById) {
                previous = lastById.put(queued.request().id(), call.done);
            }
        }
        if (previous == null) {
            start(call);
        } else {
            previous.whenComplete((ignored, failure) -> start(call));
        }
    }

    /**
     * The request's turn: without a cache it calls. With one it takes a fresh stored answer, or waits for
     * the call under way for the same request, or makes that call itself (it leads).
     */
    private void start(InFlight call) {
        AnswerCache<InFlight> cache = caches.get(call.model());
        if (cache == null) {
            call(call);
            return;
        }
        AnswerCache.Lookup lookup = call.lookUp(cache);
        if (lookup == null) {
            return;
        }
        switch (lookup.found()) {
            case ANSWER -> finish(call, CacheHit.of(call.queued.request(), lookup.answer(), call.sinceStart()));
            case NOTHING -> call(call);
            case IN_FLIGHT -> { } // answered when the call it waits for ends: see settle
        }
    }

    /** Makes the request's own call, unless it was answered meanwhile. */
    private void call(InFlight call) {
        boolean embedding = config.model(call.model()).isEmbedding();
        StageCall chat = embedding ? embeddings.call(call.queued)
                : new ChatCall(call.queued, config.call(), routes, retryPolicy, http, answerCheck);
        if (!call.begin(chat)) {
            return;
        }
        BiConsumer<CallResult, Throwable> answer = (result, failure) -> finish(call,
                result != null ? result : internalFailure(call.queued, failure));
        // With merge on, the merger may take a chat request into a merged one (and ask it alone if need be).
        if (!embedding && merger != null && merger.offer(call.queued, (ChatCall) chat, answer)) {
            return;
        }
        chat.start().whenComplete(answer);
    }

    /** Answers a call once: whichever of its own end and the operator's timeout comes first. */
    private void finish(InFlight call, CallResult result) {
        if (calls.remove(call.input) == null) {
            return;
        }
        InFlight.Role role = call.seal();
        gauges.finished(call.model());
        call.resultFuture.complete(Collections.singleton(result));
        call.done.complete(null);
        synchronized (lastById) {
            lastById.remove(call.queued.request().id(), call.done);
        }
        if (role != InFlight.Role.NONE) {
            settle(call, role, result);
        }
    }

    /**
     * Tells the cache how a request of a cached model ended. An answer of its own is kept and answers the
     * requests that waited for it. When the call they waited for fails (or is withdrawn by the operator's
     * timeout), nothing is kept and each waiter makes its own call, so each still ends in its own answer or
     * its own dead letter.
     */
    private void settle(InFlight call, InFlight.Role role, CallResult result) {
        AnswerCache<InFlight> cache = caches.get(call.model());
        Completion completion = result.completion();
        if (completion != null && !completion.cached()) {
            for (InFlight waiter : cache.answered(call.cacheKey(), completion)) {
                finish(waiter, CacheHit.of(waiter.queued.request(), completion, waiter.sinceStart()));
            }
        } else if (completion == null && role == InFlight.Role.WAITS) {
            cache.withdraw(call.cacheKey(), call);
        } else if (completion == null) {
            for (InFlight waiter : cache.failed(call.cacheKey(), call)) {
                if (waiter.callsOnItsOwn()) {
                    call(waiter);
                }
            }
        }
    }

    /**
     * The operator's own timeout: the request is withdrawn (it leaves its model's queue and an attempt in
     * flight is aborted, so nothing is sent after this answer) and becomes a dead letter instead of a failed
     * job.
     */
    @Override
    public void timeout(ParsedInput input, ResultFuture<CallResult> resultFuture) {
        InFlight call = calls.get(input);
        if (call == null) {
            // Only requests wait in the stage; an invalid input left at once.
            resultFuture.complete(Collections.singleton(input.request() == null
                    ? CallResult.invalidInput(input.deadLetter())
                    : deadLetter(new QueuedRequest(input.request(), shardKeys.shardOf(input.request()),
                            System.currentTimeMillis()), ErrorKind.TIMEOUT, timeoutMessage())));
            return;
        }
        call.withdraw();
        finish(call, deadLetter(call.queued, ErrorKind.TIMEOUT, timeoutMessage()));
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
                calls.values().forEach(InFlight::withdraw);
            }
        }
        if (merger != null) {
            merger.close();
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

    private CallResult internalFailure(QueuedRequest queued, Throwable failure) {
        return deadLetter(queued, ErrorKind.INTERNAL, String.valueOf(failure));
    }

    private CallResult deadLetter(QueuedRequest queued, ErrorKind kind, String message) {
        LlmRequest request = queued.request();
        long elapsed = Math.max(0, System.currentTimeMillis() - queued.queuedAtMillis());
        long charged = Charges.tokens(request, config.model(request.model()));
        return CallResult.failure(request,
                DeadLetter.failedRequest(request, kind, 0, null, message, 0, request.model(), null, elapsed),
                new MetricEvent(request.model(), null, kind, 0, elapsed, 0, 0, 0, charged, 0, false, -1, -1));
    }
}
