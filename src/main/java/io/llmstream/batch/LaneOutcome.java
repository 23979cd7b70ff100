package io.llmstream.batch;

import io.llmstream.record.ErrorKind;

/**
 * What became of a line of the batch lane: answered (its completion is built from the provider's body), or
 * final (a dead letter of {@code kind} with {@code reason}).
 *
 * @param line the line; a dead letter's counts the batches it was in, this one included
 * @param batchId the batch that answered it (or was its last)
 * @param result the provider's answer to it; null when none came
 * @param kind the dead letter's kind; null when answered
 * @param reason the dead letter's reason; null when answered
 */
public record LaneOutcome(LaneLine line, String batchId, LineResult result, ErrorKind kind, String reason) {

    static LaneOutcome answered(LaneLine line, String batchId, LineResult result) {
        return new LaneOutcome(line, batchId, result, null, null);
    }

    static LaneOutcome dead(LaneLine line, String batchId, LineResult result, ErrorKind kind, String reason) {
        return new LaneOutcome(line, batchId, result, kind, reason);
    }

    public boolean isAnswered() {
        return kind == null;
    }
}
