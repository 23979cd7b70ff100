package io.llmstream.record;

/**
 * One line of the usage ledger: what one tenant used of one model, in one lane, over one metrics window.
 *
 * @param requests the requests the provider received (attempts; a merged request or an embeddings batch once)
 * @param prompts the prompts that ended in the window, answered or dead letters
 * @param costUsd the tokens' cost at the model's price (the batch price for the batch lane); -1 without a price
 * @param cached prompts answered from the cache
 * @param deadLetters prompts that ended as dead letters
 * @param spendLimited prompts refused or held for the tenant's spend cap
 * @param lane {@code online} or {@code batch}
 */
public record UsageRecord(String tenant, String model, long windowStart, long windowEnd, long requests, long prompts,
                          long promptTokens, long completionTokens, double costUsd, long cached, long deadLetters,
                          long spendLimited, String lane) {}
