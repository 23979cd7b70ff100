package io.llmstream.record;

/**
 * A request taken into the call stage instance that holds its budget shard, where it waits for its turn.
 *
 * @param shard the shard of its model's group whose budget share pays for it
 * @param queuedAtMillis epoch milliseconds at which the call stage took it (the start of its budget wait)
 */
public record QueuedRequest(LlmRequest request, int shard, long queuedAtMillis) {}
