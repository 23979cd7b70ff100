package io.llmstream.record;

/**
 * A request that has passed the limit stage on its way to the call stage instance that holds its
 * budget shard.
 *
 * @param shard the shard of its model's group whose budget share pays for it
 * @param pacedAtMillis epoch milliseconds at which the limit stage passed it on (the start of its budget wait)
 */
public record PacedRequest(LlmRequest request, int shard, long pacedAtMillis) {}
