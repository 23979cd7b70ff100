package io.llmstream.limit;

/**
 * The checkpointed budget of one model: for every API key, the theoretical arrival time (TAT) of GCRA
 * of each of its limits, in epoch microseconds. A TAT in the past means that budget is full; state
 * that old carries no information and is cleared.
 *
 * @param keyIds the keys' ids, so a restore after a configuration change matches keys by id
 * @param tats {@link KeyBudget#LIMITS} TATs per key, key after key
 */
public record BudgetState(String[] keyIds, long[] tats) {

    /** The instant at which every budget is full again. */
    public long fullAtMicros() {
        long full = 0;
        for (long tat : tats) {
            full = Math.max(full, tat);
        }
        return full;
    }
}
