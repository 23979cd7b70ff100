package io.llmstream.record;

/**
 * A request with its admission time: the earliest instant at which sending it keeps its model within
 * its limits. The pacer decides the instant; the call stage waits for it without blocking a thread.
 *
 * @param admitAtMicros epoch microseconds at which the request may be sent
 * @param pacedAtMillis epoch milliseconds at which the pacer admitted it (start of the budget wait)
 */
public record PacedRequest(LlmRequest request, long admitAtMicros, long pacedAtMillis) {}
