package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one line of a batch gets, from the same code that answers the online request ({@link MockChat#batchAnswer},
 * {@link MockEmbeddings#batchAnswer}): a status and body, the tokens it used, and when it comes: at the line's
 * turn, {@code delayMs} later ({@code hang(ms=N)}), or never ({@code hang}), which keeps its batch in progress
 * until it is cancelled or expires.
 */
record MockBatchAnswer(int status, JsonNode body, long promptTokens, long completionTokens, long delayMs) {

    /** The {@code delayMs} of a line that is never answered. */
    static final long NEVER = -1;

    static MockBatchAnswer ok(JsonNode body, long promptTokens, long completionTokens, long delayMs) {
        return new MockBatchAnswer(200, body, promptTokens, completionTokens, delayMs);
    }

    static MockBatchAnswer error(MockErrors.Error error, ObjectMapper json) {
        return new MockBatchAnswer(error.status(), error.body(json), 0, 0, 0);
    }

    static MockBatchAnswer never() {
        return new MockBatchAnswer(0, null, 0, 0, NEVER);
    }

    boolean answered() {
        return delayMs != NEVER;
    }

    boolean succeeded() {
        return status >= 200 && status < 300;
    }
}
