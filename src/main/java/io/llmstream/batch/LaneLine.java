package io.llmstream.batch;

import io.llmstream.record.LlmRequest;

import java.io.Serializable;

/**
 * A record in the batch lane: waiting for a batch, or in one.
 *
 * @param customId its custom_id ({@link BatchLine#customId})
 * @param request the record as parsed, to build its completion or dead letter when its answer comes
 * @param tokens what it counts against the enqueued-token limit: prompt estimate + max_tokens
 * @param attempts batches it was in that did not answer it
 * @param lastReason why the last of them did not; null before any
 * @param sinceMillis when it entered the lane
 */
public record LaneLine(String customId, LlmRequest request, long tokens, int attempts, String lastReason,
                       long sinceMillis) implements Serializable {

    /** The same line after a batch left it unanswered. */
    LaneLine unanswered(String reason) {
        return new LaneLine(customId, request, tokens, attempts + 1, reason, sinceMillis);
    }
}
