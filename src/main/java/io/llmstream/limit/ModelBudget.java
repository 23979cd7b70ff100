package io.llmstream.limit;

/**
 * The live budget of one model in this JVM, shared by the pacer (first attempts) and the call stage
 * (retries and re-sends after a restore), so every request that reaches the provider is paid for from
 * the same GCRA state and retries can never push a model past its limits. The pacer copies it into
 * keyed state on every element, which is what checkpoints, restores and rescales carry.
 */
public final class ModelBudget {
    private final ModelPacing pacing;
    private PacingBudget budget = PacingBudget.FULL;

    ModelBudget(ModelPacing pacing) {
        this.pacing = pacing;
    }

    /**
     * Reserves budget for a request of {@code tokens} tokens that should not go before
     * {@code notBeforeMicros}.
     *
     * @return the epoch microseconds at which it may be sent
     */
    public synchronized long reserve(long nowMicros, long notBeforeMicros, long tokens) {
        ModelPacing.Admission admission = pacing.admit(budget, Math.max(nowMicros, notBeforeMicros), tokens);
        budget = admission.budget();
        return admission.admitAtMicros();
    }

    /** The state to checkpoint. */
    public synchronized PacingBudget snapshot() {
        return budget;
    }

    /** Takes over restored state where it is further ahead than what this JVM knows. */
    public synchronized void restore(PacingBudget restored) {
        budget = new PacingBudget(
                Math.max(budget.requestTatMicros(), restored.requestTatMicros()),
                Math.max(budget.tokenTatMicros(), restored.tokenTatMicros()),
                restored.cleanupTimerMillis());
    }

    public boolean isUnlimited() {
        return pacing.isUnlimited();
    }
}
