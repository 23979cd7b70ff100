package io.llmstream.limit;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;

/**
 * The budget of one API key for one model: GCRA (a token bucket kept as one timestamp) for each of the
 * model's limits times the key's weight, adapted to what the provider reports, and the key's health.
 * Not thread-safe: its {@link ModelDispatcher} guards it.
 *
 * <p>A request costs one request and its tokens. It conforms when every bucket still holds
 * min(cost, burst) of budget, the rule a provider applies, so a request bigger than the burst is not
 * held back forever. Per-day limits let the whole day's quota be used at the per-minute pace.
 */
final class KeyBudget {
    static final int RPM = 0;
    static final int TPM = 1;
    static final int RPD = 2;
    static final int TPD = 3;
    static final int LIMITS = 4;
    private static final long MICROS_PER_MINUTE = 60_000_000L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    /** After a 429 without limit headers: pace at this share of the rate, then recover. */
    private static final double BACKOFF_FACTOR = 0.8;
    private static final double MIN_SCALE = 0.05;
    /** Recovery after a 429: this much of the configured rate per second. */
    private static final double RECOVERY_PER_SECOND = 0.01;
    /** Near the pace of the last 429 (within 5% either way), recovery is this many times slower. */
    private static final double NEAR_CEILING_SLOWDOWN = 10;
    private static final double NEAR_CEILING = 0.05;

    final int index;
    final String id;
    private final double[] limits = new double[LIMITS];
    private final long[] periods = {MICROS_PER_MINUTE, MICROS_PER_MINUTE, MICROS_PER_DAY, MICROS_PER_DAY};
    private final long[] tolerances = new long[LIMITS];
    private final long[] tats = new long[LIMITS];
    private final double pace;
    /** This budget's part of the key's limits: 1 / the shards that share them. */
    private final double share;
    private final double degradedIntervalMicros;
    private final int degradeAfter;

    private double providerRequestScale = 1;
    private double providerTokenScale = 1;
    private double backoffScale = 1;
    private long backoffAtMicros;
    /** The pace (as a scale) at which the last 429 without limit headers came; infinite before any. */
    private double ceilingScale = Double.POSITIVE_INFINITY;
    private long holdUntilMicros;
    private int consecutiveFailures;
    private boolean degraded;
    private boolean removed;

    /**
     * @param shards how many shards share the key's limits for this model; this budget paces at its share
     */
    KeyBudget(int index, ApiKey key, ModelSettings model, EndpointSettings endpoint, int shards) {
        this.index = index;
        this.id = key.id();
        this.share = 1d / shards;
        double weight = key.weight() * share;
        limits[RPM] = model.rpm() * weight;
        limits[TPM] = model.tpm() * weight;
        limits[RPD] = model.rpd() * weight;
        limits[TPD] = model.tpd() * weight;
        long burst = model.burst().toNanos() / 1000;
        tolerances[RPM] = burst;
        tolerances[TPM] = burst;
        tolerances[RPD] = MICROS_PER_DAY;
        tolerances[TPD] = MICROS_PER_DAY;
        pace = 1 - model.headroom();
        degradedIntervalMicros = 1_000_000d / endpoint.degradedRps();
        degradeAfter = endpoint.degradeAfter();
    }

    /** The earliest instant at or after {@code fromMicros} at which this key may send the request. */
    long earliest(long fromMicros, long tokens) {
        if (removed) {
            return Long.MAX_VALUE;
        }
        long earliest = Math.max(fromMicros, holdUntilMicros);
        for (int limit = 0; limit < LIMITS; limit++) {
            long cost = costMicros(limit, tokens, fromMicros);
            if (cost > 0) {
                earliest = Math.max(earliest, tats[limit] - Math.max(0, tolerances[limit] - cost));
            }
        }
        return earliest;
    }

    /** Spends the budget of a request sent at {@code atMicros}. */
    void charge(long atMicros, long tokens) {
        for (int limit = 0; limit < LIMITS; limit++) {
            long cost = costMicros(limit, tokens, atMicros);
            if (cost > 0) {
                tats[limit] = Math.max(tats[limit], atMicros) + cost;
            }
        }
    }

    /** The time a request of {@code tokens} uses of a limit's budget; 0 if the limit is not set. */
    private long costMicros(int limit, long tokens, long nowMicros) {
        if (limits[limit] <= 0) {
            return limit == RPM && degraded ? Math.round(degradedIntervalMicros) : 0;
        }
        double units = limit == RPM || limit == RPD ? 1 : tokens;
        double interval = periods[limit] / (limits[limit] * pace * scale(limit, nowMicros));
        if (limit == RPM && degraded) {
            interval = Math.max(interval, degradedIntervalMicros);
        }
        return Math.round(units * interval);
    }

    private double scale(int limit, long nowMicros) {
        if (limit == RPD || limit == TPD) {
            return 1;
        }
        double provider = limit == RPM ? providerRequestScale : providerTokenScale;
        return Math.max(MIN_SCALE, provider * Math.min(1, recovered(nowMicros)));
    }

    /**
     * The pace after a 429 without limit headers, as a scale of the configured limits: it recovers at
     * {@link #RECOVERY_PER_SECOND}, but ten times slower within 5% of the pace that earned the last 429,
     * so the key lingers just under the limit it found instead of running into it again every few seconds,
     * and still finds a limit that was raised.
     */
    private double recovered(long nowMicros) {
        double seconds = Math.max(0, nowMicros - backoffAtMicros) / 1e6;
        double scale = backoffScale;
        double[] bounds = {ceilingScale * (1 - NEAR_CEILING), ceilingScale * (1 + NEAR_CEILING), Double.MAX_VALUE};
        double[] rates = {RECOVERY_PER_SECOND, RECOVERY_PER_SECOND / NEAR_CEILING_SLOWDOWN, RECOVERY_PER_SECOND};
        for (int zone = 0; zone < bounds.length && seconds > 0; zone++) {
            if (scale >= bounds[zone]) {
                continue;
            }
            double toBound = (bounds[zone] - scale) / rates[zone];
            if (seconds <= toBound) {
                return scale + seconds * rates[zone];
            }
            scale = bounds[zone];
            seconds -= toBound;
        }
        return scale;
    }

    /**
     * Adopts the limits a provider reports for this key, and accounts for others using it.
     *
     * @param asOfMicros the instant the report describes: when the request was sent
     */
    void observe(ProviderLimits reported, long asOfMicros) {
        // The provider reports the key's whole limit; this budget holds a share of it.
        if (reported.requestLimit() > 0 && limits[RPM] > 0) {
            providerRequestScale = Math.min(1, reported.requestLimit() * share / limits[RPM]);
        }
        if (reported.tokenLimit() > 0 && limits[TPM] > 0) {
            providerTokenScale = Math.min(1, reported.tokenLimit() * share / limits[TPM]);
        }
        if (share < 1) {
            // The provider's bucket is the whole key's, which the other shards spend too: its time to full
            // says nothing about this share.
            return;
        }
        // The provider's time to a full bucket beyond ours is budget someone else spent on this key.
        if (reported.requestReset() != null && limits[RPM] > 0) {
            tats[RPM] = Math.max(tats[RPM], asOfMicros + reported.requestReset().toNanos() / 1000);
        }
        if (reported.tokenReset() != null && limits[TPM] > 0) {
            tats[TPM] = Math.max(tats[TPM], asOfMicros + reported.tokenReset().toNanos() / 1000);
        }
    }

    /**
     * A 429: nothing goes on this key before the wait the provider asked for, and when the provider did
     * not say what its limits are, the pace drops and then recovers slowly.
     */
    void rateLimited(long waitMicros, boolean providerReportsLimits, long nowMicros) {
        holdUntilMicros = Math.max(holdUntilMicros, nowMicros + waitMicros);
        if (!providerReportsLimits && nowMicros - backoffAtMicros > 1_000_000) {
            double current = Math.min(1, recovered(nowMicros));
            ceilingScale = current;
            backoffScale = Math.max(MIN_SCALE, current * BACKOFF_FACTOR);
            backoffAtMicros = nowMicros;
        }
    }

    /** A success: the key is healthy. Returns true if it was degraded until now. */
    boolean succeeded() {
        consecutiveFailures = 0;
        boolean wasDegraded = degraded;
        degraded = false;
        return wasDegraded;
    }

    /** A failure that may be the key's fault. Returns true if this one degraded the key. */
    boolean failed() {
        consecutiveFailures++;
        if (!degraded && consecutiveFailures >= degradeAfter) {
            degraded = true;
            return true;
        }
        return false;
    }

    /** The provider refused the key (401, 403): it sends nothing more. Returns true if it was in use. */
    boolean remove() {
        boolean wasInUse = !removed;
        removed = true;
        return wasInUse;
    }

    boolean isRemoved() {
        return removed;
    }

    boolean isDegraded() {
        return degraded;
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** The TAT of the request-rate limit, for choosing the least used key among equals. */
    long requestTat() {
        return tats[RPM];
    }

    /** Share of the configured rate this key is queued at now (provider limits and 429 back-off). */
    double currentScale(long nowMicros) {
        return Math.min(scale(RPM, nowMicros), scale(TPM, nowMicros));
    }

    void copyTatsTo(long[] target, int offset) {
        System.arraycopy(tats, 0, target, offset, LIMITS);
    }

    /**
     * Takes over restored TATs where they are further ahead than this one's. Whatever was spent between the
     * checkpoint and the failure is not in them, so the per-minute buckets start empty at {@code nowMicros}:
     * the key resumes at its rate without a burst, which the provider's bucket has room for however little
     * of it the time since refilled.
     */
    void restoreTats(long[] source, int offset, long nowMicros) {
        for (int limit = 0; limit < LIMITS; limit++) {
            tats[limit] = Math.max(tats[limit], source[offset + limit]);
        }
        startWithoutBurst(nowMicros);
    }

    /**
     * Empties the per-minute buckets at {@code nowMicros} but for one request (one token of a TPM limit): the
     * key goes at its rate from there, without a burst, until an idle spell fills the buckets again.
     */
    void startWithoutBurst(long nowMicros) {
        for (int limit : new int[] {RPM, TPM}) {
            if (limits[limit] > 0) {
                long oneUnit = costMicros(limit, 1, nowMicros);
                tats[limit] = Math.max(tats[limit], nowMicros + Math.max(0, tolerances[limit] - oneUnit));
            }
        }
    }
}
