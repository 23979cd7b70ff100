package io.llmstream.call;

import io.llmstream.call.cache.AnswerCache;
import io.llmstream.call.cache.RequestIdentity;
import io.llmstream.record.CallResult;
import io.llmstream.record.QueuedRequest;
import io.llmstream.record.ParsedInput;
import org.apache.flink.streaming.api.functions.async.ResultFuture;

import java.util.concurrent.CompletableFuture;

/**
 * A request in the stage: its call, where its answer goes, and a future the next one of its id waits
 * for. Its call, role and end are guarded by the object, so that no call starts after its answer.
 */
final class InFlight {
    /** The input the async operator handed over, by whose identity its timeout finds this request. */
    final ParsedInput input;
    final QueuedRequest queued;
    final ResultFuture<CallResult> resultFuture;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile long startedAtMillis;
    private String cacheKey;
    private StageCall chat;
    private Role role = Role.NONE;
    private boolean sealed;

    /** A request's part in its model's cache. */
    enum Role {
        /** Its model has no cache, or it has not had its turn. */
        NONE,
        /** Answered from a stored answer. */
        HIT,
        /** Waits for the call under way for the same request, or, if that failed, makes its own. */
        WAITS,
        /** Makes the call that repeats wait for. */
        LEADS
    }

    InFlight(ParsedInput input, QueuedRequest queued, ResultFuture<CallResult> resultFuture) {
        this.input = input;
        this.queued = queued;
        this.resultFuture = resultFuture;
    }

    String model() {
        return queued.request().model();
    }

    synchronized String cacheKey() {
        if (cacheKey == null) {
            cacheKey = RequestIdentity.of(queued.request());
        }
        return cacheKey;
    }

    long sinceStart() {
        return Math.max(0, System.currentTimeMillis() - startedAtMillis);
    }

    /**
     * Its turn at its model's cache: a stored answer, the call under way to wait for, or nothing (it leads);
     * null if it was answered or withdrawn meanwhile.
     */
    synchronized AnswerCache.Lookup lookUp(AnswerCache<InFlight> cache) {
        startedAtMillis = System.currentTimeMillis();
        if (sealed) {
            return null;
        }
        AnswerCache.Lookup lookup = cache.lookup(cacheKey(), this);
        role = switch (lookup.found()) {
            case ANSWER -> Role.HIT;
            case IN_FLIGHT -> Role.WAITS;
            case NOTHING -> Role.LEADS;
        };
        return lookup;
    }

    /** Takes its call; false if it was answered or withdrawn meanwhile. */
    synchronized boolean begin(StageCall call) {
        if (sealed) {
            return false;
        }
        chat = call;
        return true;
    }

    /** Whether a waiter whose call failed is still to be answered, and so makes its own call. */
    synchronized boolean callsOnItsOwn() {
        return !sealed && chat == null;
    }

    /** Answered: no call starts after this; returns its role in the cache. */
    synchronized Role seal() {
        sealed = true;
        return role;
    }

    /**
     * Withdraws it (the operator's timeout, or close): it leaves its model's queue, an attempt in flight is
     * aborted, and no call starts after this.
     */
    void withdraw() {
        StageCall current;
        synchronized (this) {
            sealed = true;
            current = chat;
        }
        if (current != null) {
            current.cancel();
        }
    }
}
