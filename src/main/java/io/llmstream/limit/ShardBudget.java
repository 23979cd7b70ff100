package io.llmstream.limit;

/**
 * The checkpointed budget of one model in one shard: for every API key, the theoretical arrival time
 * (TAT) of GCRA of each of its limits, in epoch microseconds. It is kept as union operator state of the
 * call stage, so after a restore or a rescale every instance sees all of them and takes those of the
 * shards it owns now.
 *
 * @param model the model's configured name
 * @param shard the shard's index within its model's group
 * @param shards how many shards the group had; a budget of another split is not taken over
 * @param keyIds the keys' ids, so a restore after a configuration change matches keys by id
 * @param tats {@link KeyBudget#LIMITS} TATs per key, key after key
 */
public record ShardBudget(String model, int shard, int shards, String[] keyIds, long[] tats) {
}
