package io.llmstream.limit;

import io.llmstream.config.ModelSettings;

import java.io.Serializable;

/**
 * GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp) for one model's RPM and
 * TPM limits. It answers "when may this request go?" so that the provider's own bucket, refilled
 * continuously and checked over sub-minute periods, never runs dry.
 *
 * <p>A request of cost c uses c × interval of a limit's time. It conforms when the bucket still holds
 * min(c, burst) of budget: the same rule a provider applies, so a request bigger than the burst is not
 * held back forever. Pacing aims at {@code (1 - headroom)} of each limit so that network jitter never
 * lands a request just before the provider's bucket has refilled.
 */
public final class ModelPacing implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final double MICROS_PER_MINUTE = 60_000_000d;

    private final double microsPerRequest;
    private final double microsPerToken;
    private final long burstMicros;

    ModelPacing(double microsPerRequest, double microsPerToken, long burstMicros) {
        this.microsPerRequest = microsPerRequest;
        this.microsPerToken = microsPerToken;
        this.burstMicros = burstMicros;
    }

    /** The pacing for a model's configured limits. */
    public static ModelPacing of(ModelSettings model) {
        double slowdown = 1d / (1d - model.headroom());
        return new ModelPacing(
                model.hasRpmLimit() ? MICROS_PER_MINUTE / model.rpm() * slowdown : 0,
                model.hasTpmLimit() ? MICROS_PER_MINUTE / model.tpm() * slowdown : 0,
                model.burst().toNanos() / 1000);
    }

    /** The admission decision for one request: when it may go and the budget after it. */
    public record Admission(long admitAtMicros, PacingBudget budget) {}

    /**
     * Reserves budget for a request of {@code tokens} arriving at {@code nowMicros}.
     *
     * @return the earliest conforming instant (never before now) and the updated budget
     */
    public Admission admit(PacingBudget budget, long nowMicros, long tokens) {
        long requestCost = Math.round(microsPerRequest);
        long tokenCost = Math.round(microsPerToken * tokens);
        long admitAt = Math.max(nowMicros, Math.max(
                earliest(budget.requestTatMicros(), requestCost),
                earliest(budget.tokenTatMicros(), tokenCost)));
        PacingBudget after = new PacingBudget(
                requestCost == 0 ? 0 : Math.max(budget.requestTatMicros(), admitAt) + requestCost,
                tokenCost == 0 ? 0 : Math.max(budget.tokenTatMicros(), admitAt) + tokenCost,
                budget.cleanupTimerMillis());
        return new Admission(admitAt, after);
    }

    /** The earliest instant at which the bucket holds min(cost, burst): TAT minus the remaining tolerance. */
    private long earliest(long tatMicros, long costMicros) {
        if (costMicros == 0) {
            return Long.MIN_VALUE;
        }
        return tatMicros - Math.max(0, burstMicros - costMicros);
    }

    /** True if no limit is configured: everything is admitted at once. */
    public boolean isUnlimited() {
        return microsPerRequest == 0 && microsPerToken == 0;
    }
}
