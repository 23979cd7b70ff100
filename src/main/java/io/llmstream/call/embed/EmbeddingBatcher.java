package io.llmstream.call.embed;

import io.llmstream.call.RetryPolicy;
import io.llmstream.call.Route;
import io.llmstream.call.Routes;
import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.config.BatchSettings;
import io.llmstream.config.CallSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.netty.util.Timeout;
import io.netty.util.Timer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Gathers the embedding inputs of one call-stage instance into requests: one open batch per model,
 * budget shard and set of parameters ({@code dimensions}, {@code encoding_format}, ...), which goes when it
 * holds {@code batch.max-inputs} inputs, when the next input would take it past {@code batch.max-tokens},
 * or {@code batch.max-wait} after its first input came, whichever is first. A batch is then one request,
 * paid from its shard's budget like any other: one request and the sum of its inputs' tokens.
 *
 * <p>{@code max-wait} sends a part-full batch only when its shard's budget could let it go at once: while
 * another request of the model's shard waits for budget, or the budget is spent, the batch would only
 * wait with the inputs it has, and those that come meanwhile would make more requests than the limit
 * needs. It keeps gathering instead until it is full or the budget has room, so a model held at its limit
 * sends full batches.
 */
public final class EmbeddingBatcher implements AutoCloseable {
    private final LlmStreamConfig config;
    private final Routes routes;
    private final RetryPolicy retryPolicy;
    private final SharedHttpClient.Lease http;
    private final Timer timer;
    private final Map<String, Open> open = new HashMap<>();
    private boolean closed;

    public EmbeddingBatcher(LlmStreamConfig config, Routes routes, RetryPolicy retryPolicy, SharedHttpClient.Lease http,
            Timer timer) {
        this.config = config;
        this.routes = routes;
        this.retryPolicy = retryPolicy;
        this.http = http;
        this.timer = timer;
    }

    /** The records the call stage holds when tenants share the models, waiting for budget or in flight. */
    public static final int TENANT_READ_AHEAD = 5_000;

    /**
     * The room the call stage needs so that batches can fill: one batch in flight while the next gathers,
     * so at least twice the largest {@code batch.max-inputs} of an embedding model, and never less than
     * {@code call.capacity} (nor {@value #TENANT_READ_AHEAD} when tenants share the models).
     */
    public static int stageCapacity(LlmStreamConfig config) {
        int capacity = config.call().capacity();
        if (config.hasTenants()) {
            // Tenants share models fairly only among the records the stage holds: it reads ahead, so that a
            // tenant's records behind another's backlog are seen.
            capacity = Math.max(capacity, TENANT_READ_AHEAD);
        }
        for (ModelSettings model : config.models().values()) {
            if (model.isEmbedding()) {
                capacity = Math.max(capacity, 2 * model.batch().maxInputs());
            }
        }
        return capacity;
    }

    /** A new member for a queued embedding request; it joins a batch when started. */
    public EmbeddingCall call(io.llmstream.record.QueuedRequest queued) {
        return new EmbeddingCall(queued, this);
    }

    /** Adds an input to its open batch, sending the batch if it is full (or the input does not fit). */
    void add(EmbeddingCall member) {
        List<List<EmbeddingCall>> ready = new ArrayList<>(2);
        ModelSettings model = config.model(member.request().model());
        BatchSettings settings = model.batch();
        // Inputs of different tenants are never batched: each tenant pays for, and is counted in, its own calls.
        String key = model.name() + '#' + member.queued().shard() + '#' + member.request().tenant() + '#'
                + member.parameters();
        synchronized (this) {
            if (closed || member.isCancelled()) {
                return;
            }
            Open batch = open.get(key);
            if (batch != null && batch.tokens + member.request().promptTokens() > model.batchTokens()) {
                ready.add(take(key, batch));
                batch = null;
            }
            if (batch == null) {
                batch = new Open(routes.of(model.name(), member.queued().shard()), settings.maxWait().toNanos());
                open.put(key, batch);
                if (!settings.maxWait().isZero()) {
                    Open waiting = batch;
                    batch.timer = schedule(() -> expire(key, waiting), batch.maxWaitNanos);
                }
            }
            batch.members.add(member);
            batch.tokens += member.request().promptTokens();
            if (batch.members.size() >= settings.maxInputs() || settings.maxWait().isZero()) {
                ready.add(take(key, batch));
            }
        }
        ready.forEach(this::send);
    }

    /** Sends some inputs as a batch of their own at once (a part of a batch that was refused as a whole). */
    void sendApart(List<EmbeddingCall> members) {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        send(members);
    }

    /** Takes a withdrawn input out of its open batch, if it is still in one. */
    synchronized void withdraw(EmbeddingCall member) {
        for (Open batch : open.values()) {
            if (batch.members.remove(member)) {
                batch.tokens -= member.request().promptTokens();
                return;
            }
        }
    }

    /** How many inputs wait in open batches; for tests and gauges. */
    synchronized int gathering() {
        return open.values().stream().mapToInt(batch -> batch.members.size()).sum();
    }

    private void expire(String key, Open batch) {
        List<EmbeddingCall> ready;
        synchronized (this) {
            if (open.get(key) != batch) {
                return;
            }
            long delayNanos = budgetDelayNanos(batch);
            if (delayNanos > 0) {
                batch.timer = schedule(() -> expire(key, batch), delayNanos);
                return;
            }
            ready = take(key, batch);
        }
        send(ready);
    }

    /**
     * How long a part-full batch should keep gathering: until the budget has room for it (0 if it has now,
     * and when no key is left, so that its inputs learn so), or another max-wait while a request waits.
     */
    private static long budgetDelayNanos(Open batch) {
        io.llmstream.limit.ModelDispatcher dispatcher = batch.route.dispatcher();
        if (dispatcher.waiting() > 0) {
            return batch.maxWaitNanos;
        }
        long delayMicros = dispatcher.admissionDelayMicros(batch.tokens);
        if (delayMicros == 0 || delayMicros == Long.MAX_VALUE) {
            return 0;
        }
        return Math.max(delayMicros * 1000, TimeUnit.MILLISECONDS.toNanos(1));
    }

    private List<EmbeddingCall> take(String key, Open batch) {
        open.remove(key);
        if (batch.timer != null) {
            batch.timer.cancel();
        }
        return batch.members;
    }

    private void send(List<EmbeddingCall> members) {
        List<EmbeddingCall> live = new ArrayList<>(members.size());
        for (EmbeddingCall member : members) {
            if (!member.isCancelled()) {
                live.add(member);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        CallSettings settings = config.call();
        new EmbeddingBatch(live, this, settings, routes, retryPolicy, http,
                Math.max(1, settings.retry().malformedAttempts())).start();
    }

    private Timeout schedule(Runnable task, long delayNanos) {
        try {
            return timer.newTimeout(fired -> task.run(), delayNanos, TimeUnit.NANOSECONDS);
        } catch (IllegalStateException stopped) {
            return null;
        }
    }

    /** Stops gathering: open batches are dropped unsent (their inputs are withdrawn with the operator). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Open batch : open.values()) {
            if (batch.timer != null) {
                batch.timer.cancel();
            }
        }
        open.clear();
    }

    /** A batch still gathering inputs. */
    private static final class Open {
        final List<EmbeddingCall> members = new ArrayList<>();
        final Route route;
        final long maxWaitNanos;
        long tokens;
        Timeout timer;

        Open(Route route, long maxWaitNanos) {
            this.route = route;
            this.maxWaitNanos = maxWaitNanos;
        }
    }
}
