package io.llmstream.record;

/**
 * A request that has passed the limit stage: its model's budget is known to the dispatcher that the
 * call stage asks before every send.
 *
 * @param pacedAtMillis epoch milliseconds at which the pacer passed it on (the start of its budget wait)
 */
public record PacedRequest(LlmRequest request, long pacedAtMillis) {}
