package io.llmstream.call.embed;

import io.llmstream.call.ChatAnswer;
import io.llmstream.call.ChatCall;
import io.llmstream.call.RetryPolicy;
import io.llmstream.call.Routes;
import io.llmstream.call.UsageShares;
import io.llmstream.call.http.SharedHttpClient;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.CallSettings;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.QueuedRequest;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One embeddings request for several inputs. It goes through the same way as a chat prompt ({@link ChatCall}:
 * a turn from its shard's budget for one request and the sum of its inputs' tokens, keys, retries honouring
 * Retry-After, the circuit breaker, fallbacks to another embedding model, the deadline), as a request whose
 * body has {@code "input": [...]}. Its answer is then split: each input gets the vector of its own
 * {@code index} and its share of the usage. An input whose vector is missing from the answer (or whose index
 * came twice) is asked again in a later batch, never given another's vector; a batch refused as a whole
 * ({@code bad_request}, {@code context_length_exceeded}) is asked again in two halves, and so on down to the
 * input that is refused alone, so one bad input does not sink the others and costs about 2 log2(n) requests
 * rather than one per input.
 */
final class EmbeddingBatch {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<EmbeddingCall> members;
    private final EmbeddingBatcher batcher;
    private final int missesAllowed;
    private final ChatCall call;
    private final QueuedRequest queued;
    private final AtomicInteger live;

    EmbeddingBatch(List<EmbeddingCall> members, EmbeddingBatcher batcher, CallSettings settings, Routes routes,
            RetryPolicy retryPolicy, SharedHttpClient.Lease http, int missesAllowed) {
        this.members = List.copyOf(members);
        this.batcher = batcher;
        this.missesAllowed = missesAllowed;
        this.live = new AtomicInteger(members.size());
        this.queued = asOneRequest(this.members);
        this.call = new ChatCall(queued, settings, routes, retryPolicy, http, null);
    }

    /**
     * The batch as one request: its inputs in order (the index of each in the answer), the parameters they
     * share, the highest priority among them, their summed tokens, and the earliest time one was queued.
     */
    private static QueuedRequest asOneRequest(List<EmbeddingCall> members) {
        EmbeddingCall first = members.get(0);
        ObjectNode body;
        try {
            body = (ObjectNode) JSON.readTree(first.parameters());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("embeddings parameters that are not JSON", e);
        }
        ArrayNode inputs = body.putArray("input");
        int priority = Integer.MIN_VALUE;
        int tokens = 0;
        long queuedAt = Long.MAX_VALUE;
        long receivedAt = Long.MAX_VALUE;
        for (EmbeddingCall member : members) {
            LlmRequest request = member.request();
            inputs.add(member.input());
            priority = Math.max(priority, request.priority());
            tokens += request.promptTokens();
            queuedAt = Math.min(queuedAt, member.queued().queuedAtMillis());
            receivedAt = Math.min(receivedAt, request.receivedAtMillis());
        }
        String id = members.size() == 1 ? first.request().id()
                : "batch of " + members.size() + " from " + first.request().id();
        LlmRequest request = new LlmRequest(id, first.request().model(), priority, body.toString(), null, tokens, 0,
                null, 0, receivedAt, null).ofTenant(first.request().tenant());
        return new QueuedRequest(request, first.queued().shard(), queuedAt);
    }

    void start() {
        members.forEach(member -> member.joined(this));
        call.start().whenComplete((result, failure) -> {
            try {
                if (result == null) {
                    failAll(ErrorKind.INTERNAL, String.valueOf(failure), null);
                } else if (result.completion() != null) {
                    split(result.completion(), result.metric(), call.answer());
                } else {
                    refused(result.deadLetter(), result.metric());
                }
            } catch (RuntimeException e) {
                failAll(ErrorKind.INTERNAL, "splitting an embeddings answer failed: " + e, null);
            }
        });
    }

    /** One of its inputs was withdrawn; when all are, the request is too. */
    void withdrawn() {
        if (live.decrementAndGet() == 0) {
            call.cancel();
        }
    }

    /** Each input gets the vector of its index and its share of the usage; those without one are asked again. */
    private void split(Completion batchAnswer, MetricEvent batchMetric, ChatAnswer answer) {
        EmbeddingVectors vectors = answer == null ? null : answer.embeddings();
        if (vectors == null) {
            failAll(ErrorKind.INTERNAL, "an embeddings request succeeded without vectors", batchMetric);
            return;
        }
        int[] shares = UsageShares.split(answer.promptTokens(), members);
        boolean shared = answer.promptTokens() >= 0 && members.size() > 1;
        long admittedAt = queued.queuedAtMillis() + batchAnswer.waitMs();
        boolean fellBack = batchAnswer.fallbackFrom() != null;
        boolean first = true;
        for (int i = 0; i < members.size(); i++) {
            EmbeddingCall member = members.get(i);
            String vector = vectors.vector(i);
            if (vector == null) {
                askAgain(member, i);
                continue;
            }
            LlmRequest request = member.request();
            long waited = Math.max(0, admittedAt - member.queued().queuedAtMillis());
            Completion completion = new Completion(request.id(), batchAnswer.model(), null, null, null, shares[i], 0,
                    shares[i], batchAnswer.attempts(), batchAnswer.latencyMs(), waited, -1,
                    fellBack ? request.model() : null, fellBack ? batchAnswer.fallbackReason() : null,
                    request.metadata(), vector, shared);
            member.complete(CallResult.success(request, completion,
                    memberMetric(batchMetric, null, waited, shares[i], request.promptTokens(), first)));
            first = false;
        }
    }

    /** The answer had no vector for the input (or several): it joins a later batch, a few times at most. */
    private void askAgain(EmbeddingCall member, int index) {
        int misses = member.missed();
        if (misses < missesAllowed) {
            batcher.add(member);
            return;
        }
        LlmRequest request = member.request();
        String message = "the answers to " + misses + " embeddings requests had no vector for this input (index "
                + index + " of the last, missing or repeated)";
        member.complete(CallResult.failure(request, DeadLetter.failedRequest(request, ErrorKind.MALFORMED_RESPONSE,
                200, null, message, misses, request.model(), null, 0),
                new MetricEvent(request.model(), null, ErrorKind.MALFORMED_RESPONSE, misses, 0, 0, 0, 0,
                        request.promptTokens(), 0, false, -1, -1)));
    }

    /**
     * The request failed as a whole. A refusal that one input can cause (400, 422, a context exceeded) is
     * asked again in halves, until the inputs refused alone are found; anything else is every input's dead
     * letter.
     */
    private void refused(DeadLetter refusal, MetricEvent batchMetric) {
        boolean perInput = refusal.kind() == ErrorKind.BAD_REQUEST
                || refusal.kind() == ErrorKind.CONTEXT_LENGTH_EXCEEDED;
        if (perInput && members.size() > 1) {
            int half = members.size() / 2;
            batcher.sendApart(members.subList(0, half));
            batcher.sendApart(members.subList(half, members.size()));
            return;
        }
        boolean first = true;
        for (EmbeddingCall member : members) {
            LlmRequest request = member.request();
            DeadLetter deadLetter = DeadLetter.failedRequest(request, refusal.kind(), refusal.status(),
                    refusal.code(), refusal.message(), refusal.attempts(), refusal.model(), refusal.keyId(),
                    refusal.elapsedMs());
            member.complete(CallResult.failure(request, deadLetter,
                    memberMetric(batchMetric, refusal.kind(), batchMetric.waitMs(), 0, request.promptTokens(), first)));
            first = false;
        }
    }

    private void failAll(ErrorKind kind, String message, MetricEvent batchMetric) {
        for (EmbeddingCall member : members) {
            LlmRequest request = member.request();
            member.complete(CallResult.failure(request, DeadLetter.failedRequest(request, kind, 0, null, message,
                    batchMetric == null ? 0 : batchMetric.attempts(), request.model(), null, 0),
                    new MetricEvent(request.model(), null, kind, 0, 0, 0, 0, 0, request.promptTokens(), 0, false,
                            -1, -1)));
        }
    }

    /**
     * An input's share of the batch's metric event: its own tokens and wait; the attempts and 429s the request
     * made are counted once, on the first input, so that the windows' sums stay those of the provider.
     */
    private static MetricEvent memberMetric(MetricEvent batch, ErrorKind kind, long waitMs, int promptTokens,
            long chargedTokens, boolean first) {
        return new MetricEvent(batch.model(), batch.keyId(), kind, first ? batch.attempts() : 0, batch.latencyMs(),
                waitMs,
                promptTokens, 0, chargedTokens, first ? batch.rateLimitedResponses() : 0, batch.fallback(),
                batch.providerLatencyMs(), -1);
    }
}
