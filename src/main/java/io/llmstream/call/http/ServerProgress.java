package io.llmstream.call.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one model's server has answered lately, so that a request waiting for its first token can tell a
 * queue from a hang. A server that queues (vLLM, TGI, Ollama, llama.cpp) answers in the order requests
 * came, and keeps answering: a request behind others waits, but no request sent after it gets its first
 * token first. So a request is taken for hung when its first-token wait has passed and either a request
 * sent more than {@link #REORDER_MARGIN_NANOS} after it has had its first token (it was overtaken), or the
 * server has sent nothing at all for the whole wait (it stopped). Otherwise it is queued and waits on,
 * up to the attempt timeout. Thread-safe; two atomic writes per answer.
 */
public final class ServerProgress {
    /** Requests sent this close together may reach the server in either order. */
    static final long REORDER_MARGIN_NANOS = 50_000_000L;

    private final AtomicLong latestAnsweredSentNanos = new AtomicLong(Long.MIN_VALUE);
    private volatile long lastProgressNanos = Long.MIN_VALUE;

    /** A request sent at {@code sentAtNanos} had its first token (or its whole plain answer) now. */
    void firstToken(long sentAtNanos, long nowNanos) {
        if (latestAnsweredSentNanos.get() < sentAtNanos) {
            latestAnsweredSentNanos.accumulateAndGet(sentAtNanos, Math::max);
        }
        lastProgressNanos = nowNanos;
    }

    /** The server sent something (a piece of an answer, an error) now. */
    void sentSomething(long nowNanos) {
        lastProgressNanos = nowNanos;
    }

    /** Whether a request sent well after {@code sentAtNanos} has had its first token. */
    boolean overtook(long sentAtNanos) {
        long latest = latestAnsweredSentNanos.get();
        return latest != Long.MIN_VALUE && latest - sentAtNanos > REORDER_MARGIN_NANOS;
    }

    /** Whether the server sent anything at or after {@code sinceNanos}. */
    boolean sentSince(long sinceNanos) {
        return lastProgressNanos - sinceNanos >= 0 && lastProgressNanos != Long.MIN_VALUE;
    }
}
