package io.llmstream.call;

import io.llmstream.record.CallResult;

import java.util.concurrent.CompletableFuture;

/** One request's way through the call stage: a chat call of its own, or a place in an embeddings batch. */
public interface StageCall {
    /** Starts; the future completes once with a completion or a dead letter, unless {@link #cancel()} came first. */
    CompletableFuture<CallResult> start();

    /** Withdraws the request: nothing more is sent for it, and its result is not wanted. */
    void cancel();
}
