package io.llmstream.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.call.ChatAnswer;
import io.llmstream.call.http.AttemptOutcome;
import io.llmstream.call.http.ExchangeKind;
import io.llmstream.call.http.ResponseClassifier;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;

/**
 * A line's outcome as the call stage's results look: a completion like an online one plus its batch, or a dead
 * letter; the metric event counts its tokens at the batch price and nothing against the online lane's limits.
 */
final class LaneResults {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LaneResults() {}

    static CallResult of(LaneOutcome outcome, ModelSettings model, long nowMillis) {
        LaneLine line = outcome.line();
        LlmRequest request = line.request();
        long elapsed = Math.max(0, nowMillis - line.sinceMillis());
        if (!outcome.isAnswered()) {
            LineResult result = outcome.result();
            return failure(request, model, outcome.kind(), result == null ? 0 : result.status(),
                    result == null ? null : result.errorCode(), outcome.reason(), line.attempts(), elapsed);
        }
        int attempts = line.attempts() + 1;
        AttemptOutcome answer = ResponseClassifier.classifyBody(bytes(outcome.result()),
                model.isEmbedding() ? ExchangeKind.EMBEDDINGS : ExchangeKind.CHAT);
        if (!answer.succeeded()) {
            return failure(request, model, answer.kind(), answer.status(), answer.code(),
                    "batch " + outcome.batchId() + " answered the line with " + answer.message(), attempts, elapsed);
        }
        ChatAnswer chat = answer.answer();
        int promptTokens = chat.promptTokens() >= 0 ? chat.promptTokens() : request.promptTokens();
        Completion completion;
        if (model.isEmbedding()) {
            String vector = chat.embeddings().vector(0);
            if (vector == null) {
                return failure(request, model, ErrorKind.MALFORMED_RESPONSE, 200, null,
                        "batch " + outcome.batchId() + " answered the line without a vector at index 0", attempts,
                        elapsed);
            }
            completion = new Completion(request.id(), model.name(), null, null, null, promptTokens, 0, promptTokens,
                    attempts, elapsed, 0, -1, null, null, request.metadata(), vector, false);
        } else {
            int completionTokens = Math.max(0, chat.completionTokens());
            int totalTokens = chat.totalTokens() >= 0 ? chat.totalTokens() : promptTokens + completionTokens;
            completion = new Completion(request.id(), model.name(), chat.content(), chat.finishReason(),
                    chat.toolCalls(), promptTokens, completionTokens, totalTokens, attempts, elapsed, 0, -1, null, null,
                    request.metadata());
        }
        return CallResult.success(request, completion.inBatch(outcome.batchId()),
                metric(model, null, attempts, elapsed, completion.promptTokens(), completion.completionTokens()));
    }

    private static CallResult failure(LlmRequest request, ModelSettings model, ErrorKind kind, int status,
            String code, String message, int attempts, long elapsed) {
        DeadLetter deadLetter = DeadLetter.failedRequest(request, kind, status, code, message, attempts,
                model.name(), null, elapsed);
        return CallResult.failure(request, deadLetter, metric(model, kind, attempts, elapsed, 0, 0));
    }

    private static MetricEvent metric(ModelSettings model, ErrorKind kind, int attempts, long elapsed,
            int promptTokens, int completionTokens) {
        return new MetricEvent(model.name(), null, kind, attempts, elapsed, 0, promptTokens, completionTokens, 0, 0,
                false, -1, -1, false, -1, true);
    }

    private static byte[] bytes(LineResult result) {
        try {
            return JSON.writeValueAsBytes(result.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed body is always JSON", e);
        }
    }
}
