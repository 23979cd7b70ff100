package io.llmstream.call.embed;

import io.llmstream.call.StageCall;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.record.CallResult;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.QueuedRequest;

import java.util.concurrent.CompletableFuture;

/**
 * One embedding input's way through the call stage: a place in a batch of its model's
 * {@link EmbeddingBatcher}, and, should the answer to that batch lack its vector, a place in a later one.
 */
public final class EmbeddingCall implements StageCall {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final QueuedRequest queued;
    private final EmbeddingBatcher batcher;
    private final String input;
    private final String parameters;
    private final CompletableFuture<CallResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;
    private volatile EmbeddingBatch batch;
    /** Answers to its batches that had no vector (or several) for it. */
    private int misses;

    EmbeddingCall(QueuedRequest queued, EmbeddingBatcher batcher) {
        this.queued = queued;
        this.batcher = batcher;
        try {
            ObjectNode body = (ObjectNode) JSON.readTree(queued.request().body());
            this.input = body.remove("input").asText();
            // What the inputs of one request must share: every parameter but the input, in a fixed form.
            this.parameters = JSON.writeValueAsString(body);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalStateException("the parse stage produced an embeddings body without input", e);
        }
    }

    @Override
    public CompletableFuture<CallResult> start() {
        batcher.add(this);
        return result;
    }

    @Override
    public void cancel() {
        cancelled = true;
        batcher.withdraw(this);
        EmbeddingBatch current = batch;
        if (current != null) {
            current.withdrawn();
        }
    }

    QueuedRequest queued() {
        return queued;
    }

    public LlmRequest request() {
        return queued.request();
    }

    String input() {
        return input;
    }

    /** The other fields of its body ({@code dimensions}, {@code encoding_format}, ...) as JSON. */
    String parameters() {
        return parameters;
    }

    boolean isCancelled() {
        return cancelled;
    }

    void joined(EmbeddingBatch joined) {
        this.batch = joined;
    }

    /** Counts an answer without its vector; returns how many there have been. */
    int missed() {
        return ++misses;
    }

    void complete(CallResult outcome) {
        result.complete(outcome);
    }
}
