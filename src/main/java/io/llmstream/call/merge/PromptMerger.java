package io.llmstream.call.merge;

import io.llmstream.call.ChatCall;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.MergeSettings;
import io.llmstream.config.ModelSettings;
import io.llmstream.measure.TokenEstimator;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.QueuedRequest;
import org.apache.flink.metrics.MetricGroup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Merged prompts in one call-stage instance: collects the requests that may merge ({@link MergedPrompts})
 * per model, shard and parameters, and sends a batch as one request through an ordinary {@link ChatCall}
 * (one turn of the rate budget, its honest token cost, retries, keys and fallbacks as usual) when it holds
 * {@code max-prompts}, after {@code max-wait}, or when the next prompt would make it too large for the
 * model's context window or TPM limit.
 *
 * <p>Each prompt answered exactly once in the reply completes with its own answer and its share of the
 * usage. The others — no answer, more than one, not a string, or a reply that is not the JSON asked for —
 * are asked again on their own, through the call they would have had without merging; so are all the
 * prompts when the merged request itself was refused (400, context length, a malformed answer), since that
 * may be the merge's fault. When the provider failed otherwise (5xx, timeouts, auth, quota) asking each
 * prompt alone would only repeat the failure many times over: each becomes a dead letter with the reason.
 */
public final class PromptMerger implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PromptMerger.class);
    /** Failures of a merged request that the merge itself may have caused: its prompts are asked alone. */
    static final Set<ErrorKind> ASKED_ALONE_AFTER = EnumSet.of(ErrorKind.BAD_REQUEST,
            ErrorKind.CONTEXT_LENGTH_EXCEEDED, ErrorKind.MALFORMED_RESPONSE, ErrorKind.OUTPUT_TOO_LARGE,
            ErrorKind.INTERNAL);

    /** Makes the call of a request with the call stage's routes, retry policy and HTTP client. */
    public interface Calls {
        ChatCall of(QueuedRequest queued);
    }

    private final LlmStreamConfig config;
    private final Calls calls;
    private final MergeCounters counters;
    private final ScheduledExecutorService timer;
    /** The batch being filled, by group key; guarded by {@code this}. */
    private final Map<String, Batch> open = new HashMap<>();
    private final Set<ChatCall> merging = ConcurrentHashMap.newKeySet();
    private final Map<String, TokenEstimator> estimators = new ConcurrentHashMap<>();
    private final Map<String, Integer> baseTokens = new ConcurrentHashMap<>();
    private boolean closed;

    public PromptMerger(LlmStreamConfig config, Calls calls, MetricGroup operatorGroup) {
        this.config = config;
        this.calls = calls;
        this.counters = new MergeCounters(operatorGroup, config);
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "llmstream-merge");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Whether any model merges prompts. */
    public static boolean configured(LlmStreamConfig config) {
        return config.models().values().stream().anyMatch(model -> model.merge() != null);
    }

    /**
     * How much longer than without merging a prompt may stay in the call stage: its wait for the batch, and
     * a whole merged call before it is asked again alone.
     */
    public static Duration extraStay(LlmStreamConfig config) {
        Duration longestWait = Duration.ZERO;
        for (ModelSettings model : config.models().values()) {
            if (model.merge() != null && model.merge().maxWait().compareTo(longestWait) > 0) {
                longestWait = model.merge().maxWait();
            }
        }
        return configured(config) ? longestWait.plus(config.call().timeout()) : Duration.ZERO;
    }

    /**
     * Takes the request into a merged request, or returns false if it must go alone. {@code answer} is
     * called once with its result, unless {@code alone}, the call it would have had, is cancelled first.
     */
    public boolean offer(QueuedRequest queued, ChatCall alone, BiConsumer<CallResult, Throwable> answer) {
        LlmRequest request = queued.request();
        ModelSettings model = config.model(request.model());
        MergeSettings merge = model.merge();
        if (merge == null) {
            return false;
        }
        MergedPrompts.Mergeable mergeable = MergedPrompts.of(request, queued.shard());
        if (mergeable == null) {
            return false;
        }
        Member member = new Member(queued, alone, answer, mergeable,
                request.maxTokens() > 0 ? request.maxTokens() : model.defaultMaxTokens());
        List<Member> full = null;
        List<Member> ready = null;
        synchronized (this) {
            if (closed) {
                return false;
            }
            Batch batch = open.get(mergeable.key());
            if (batch != null && batch.tokens + member.tokens() > MergedPrompts.tokenLimit(model) - baseTokens(model)) {
                full = take(batch);
                batch = null;
            }
            if (batch == null) {
                Batch created = new Batch(mergeable.key());
                created.expiry = timer.schedule(() -> expire(created), merge.maxWait().toNanos(), TimeUnit.NANOSECONDS);
                open.put(created.key, created);
                batch = created;
            }
            batch.members.add(member);
            batch.tokens += member.tokens();
            if (batch.members.size() >= merge.maxPrompts()) {
                ready = take(batch);
            }
        }
        send(full);
        send(ready);
        return true;
    }

    private List<Member> take(Batch batch) {
        open.remove(batch.key, batch);
        batch.expiry.cancel(false);
        return batch.members;
    }

    private void expire(Batch batch) {
        List<Member> members;
        synchronized (this) {
            if (open.get(batch.key) != batch) {
                return;
            }
            members = take(batch);
        }
        send(members);
    }

    /** Prompt tokens of a merged request of the model without prompts: system message and response format. */
    private int baseTokens(ModelSettings model) {
        return baseTokens.computeIfAbsent(model.name(), name -> estimator(model).estimatePrompt(
                MergedPrompts.body(JsonNodeFactory.instance.objectNode(), List.of(), 0))
                + MergedPrompts.REPLY_OVERHEAD_TOKENS);
    }

    private TokenEstimator estimator(ModelSettings model) {
        return estimators.computeIfAbsent(model.encoding(), TokenEstimator::forEncoding);
    }

    private void send(List<Member> members) {
        if (members == null) {
            return;
        }
        List<Member> live = new ArrayList<>();
        for (Member member : members) {
            if (!member.alone.cancelled()) {
                live.add(member);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        if (live.size() == 1) {
            live.get(0).askAlone(null);
            return;
        }
        QueuedRequest merged = mergedRequest(live);
        ChatCall call = calls.of(merged);
        merging.add(call);
        counters.sent(merged.request().model());
        call.start().whenComplete((result, failure) -> {
            merging.remove(call);
            try {
                answer(live, merged, result, failure);
            } catch (RuntimeException e) {
                LOG.warn("Mapping the reply of merged request {} failed; its prompts are asked alone",
                        merged.request().id(), e);
                live.forEach(member -> member.askAlone(null));
            }
        });
    }

    private QueuedRequest mergedRequest(List<Member> live) {
        LlmRequest first = live.get(0).queued.request();
        ModelSettings model = config.model(first.model());
        List<String> prompts = new ArrayList<>();
        List<Integer> budgets = new ArrayList<>();
        int priority = Integer.MIN_VALUE;
        long queuedAt = Long.MAX_VALUE;
        long receivedAt = Long.MAX_VALUE;
        for (Member member : live) {
            prompts.add(member.mergeable.prompt());
            budgets.add(member.budget);
            priority = Math.max(priority, member.queued.request().priority());
            queuedAt = Math.min(queuedAt, member.queued.queuedAtMillis());
            receivedAt = Math.min(receivedAt, member.queued.request().receivedAtMillis());
        }
        int maxTokens = MergedPrompts.maxTokens(budgets);
        ObjectNode body = MergedPrompts.body(live.get(0).mergeable.parameters(), prompts, maxTokens);
        LlmRequest request = new LlmRequest("merged(" + first.id() + " +" + (live.size() - 1) + ")", first.model(),
                priority, body.toString(), null, estimator(model).estimatePrompt(body), maxTokens, null, 0, receivedAt,
                null).ofTenant(first.tenant());
        return new QueuedRequest(request, live.get(0).queued.shard(), queuedAt);
    }

    /** Maps the merged call's result back to its prompts. */
    private void answer(List<Member> live, QueuedRequest merged, CallResult result, Throwable failure) {
        String model = merged.request().model();
        if (result == null) {
            LOG.warn("Merged request {} failed; its prompts are asked alone", merged.request().id(), failure);
            counters.askedAlone(model, live.size());
            live.forEach(member -> member.askAlone(null));
            return;
        }
        int n = live.size();
        if (result.deadLetter() != null) {
            DeadLetter failed = result.deadLetter();
            MergedShare[] shares = shares(live, result.metric(), new long[n]);
            boolean alone = ASKED_ALONE_AFTER.contains(failed.kind());
            if (alone) {
                counters.askedAlone(model, n);
            }
            for (int i = 0; i < n; i++) {
                Member member = live.get(i);
                if (alone) {
                    member.askAlone(shares[i]);
                } else {
                    member.complete(deadLetter(member, n, failed, result.metric(), shares[i]));
                }
            }
            return;
        }
        Completion completion = result.completion();
        MergedAnswers answers = MergedAnswers.parse(completion.content(), n);
        if (answers.problem() != null) {
            LOG.debug("Merged request {} of {} prompts: {}; those prompts are asked alone", merged.request().id(), n,
                    answers.problem());
        }
        TokenEstimator estimator = estimator(config.model(completion.model()));
        String[] contents = new String[n];
        boolean[] cut = new boolean[n];
        long[] answerTokens = new long[n];
        for (int i = 0; i < n; i++) {
            String answer = answers.answer(i);
            if (answer == null) {
                continue;
            }
            int ownMax = live.get(i).queued.request().maxTokens();
            contents[i] = ownMax > 0 ? estimator.truncate(answer, ownMax) : answer;
            cut[i] = contents[i].length() < answer.length();
            answerTokens[i] = estimator.countText(contents[i]);
        }
        MergedShare[] shares = shares(live, result.metric(), answerTokens);
        counters.answered(model, answers.answered());
        counters.askedAlone(model, n - answers.answered());
        for (int i = 0; i < n; i++) {
            Member member = live.get(i);
            if (contents[i] == null) {
                member.askAlone(shares[i]);
            } else {
                member.complete(completion(member, n, merged, completion, result.metric(), contents[i],
                        cut[i] ? "length" : completion.finishReason(), shares[i]));
            }
        }
    }

    /** The merged call's counts split over its prompts (see {@link MergedShare#split}). */
    private static MergedShare[] shares(List<Member> live, MetricEvent metric, long[] answerTokens) {
        int n = live.size();
        long[] promptWeights = new long[n];
        long[] costWeights = new long[n];
        for (int i = 0; i < n; i++) {
            LlmRequest request = live.get(i).queued.request();
            promptWeights[i] = request.promptTokens();
            costWeights[i] = request.promptTokens() + (long) live.get(i).budget;
        }
        return MergedShare.split(metric, promptWeights, answerTokens, costWeights);
    }

    private static CallResult completion(Member member, int n, QueuedRequest merged, Completion reply,
            MetricEvent metric, String content, String finishReason, MergedShare share) {
        LlmRequest request = member.queued.request();
        long waitMs = member.waitMs(merged, reply.waitMs());
        Completion completion = new Completion(request.id(), reply.model(), content, finishReason, null,
                share.promptTokens(), share.completionTokens(), share.promptTokens() + share.completionTokens(),
                reply.attempts(), reply.latencyMs(), waitMs, reply.firstTokenMs(), reply.fallbackFrom(),
                reply.fallbackReason(), request.metadata(), false, n);
        return CallResult.success(request, completion, share.event(metric, null, waitMs, metric.firstTokenMs()));
    }

    private static CallResult deadLetter(Member member, int n, DeadLetter failed, MetricEvent metric,
            MergedShare share) {
        LlmRequest request = member.queued.request();
        long elapsed = Math.max(0, System.currentTimeMillis() - member.queued.queuedAtMillis());
        DeadLetter deadLetter = DeadLetter.failedRequest(request, failed.kind(), failed.status(), failed.code(),
                "a merged request of " + n + " prompts failed: " + failed.message(), failed.attempts(),
                failed.model(), failed.keyId(), elapsed);
        return CallResult.failure(request, deadLetter, share.event(metric, failed.kind(), metric.waitMs(), -1));
    }

    /** Withdraws the merged calls in flight and drops the batches being filled; their prompts are withdrawn too. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            open.values().forEach(batch -> batch.expiry.cancel(false));
            open.clear();
        }
        merging.forEach(ChatCall::cancel);
        timer.shutdownNow();
    }

    /** The prompts being collected for one merged request. */
    private static final class Batch {
        final String key;
        final List<Member> members = new ArrayList<>();
        long tokens;
        ScheduledFuture<?> expiry;

        Batch(String key) {
            this.key = key;
        }
    }

    /** A prompt in a merged request: settled once, by its answer from the merged reply or by its own call. */
    private static final class Member {
        final QueuedRequest queued;
        final ChatCall alone;
        final BiConsumer<CallResult, Throwable> answer;
        final MergedPrompts.Mergeable mergeable;
        /** Its completion budget: its max_tokens, or the model's default. */
        final int budget;
        final AtomicBoolean settled = new AtomicBoolean();

        Member(QueuedRequest queued, ChatCall alone, BiConsumer<CallResult, Throwable> answer,
                MergedPrompts.Mergeable mergeable, int budget) {
            this.queued = queued;
            this.alone = alone;
            this.answer = answer;
            this.mergeable = mergeable;
            this.budget = budget;
        }

        /** What it adds to a merged request's prompt and completion tokens. */
        long tokens() {
            return (long) queued.request().promptTokens() + MergedPrompts.PROMPT_OVERHEAD_TOKENS + budget
                    + MergedPrompts.ANSWER_OVERHEAD_TOKENS;
        }

        /** From its arrival at the call stage to the merged call's first attempt. */
        long waitMs(QueuedRequest merged, long mergedWaitMs) {
            return Math.max(0, merged.queuedAtMillis() + mergedWaitMs - queued.queuedAtMillis());
        }

        void complete(CallResult result) {
            if (settled.compareAndSet(false, true)) {
                answer.accept(result, null);
            }
        }

        /** Asks it again on its own, its part of the merged call ({@code share}, if any) counted with it. */
        void askAlone(MergedShare share) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            alone.start().whenComplete((result, failure) -> answer.accept(
                    result == null || share == null ? result : share.addedTo(result), failure));
        }
    }
}
