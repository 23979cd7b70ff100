package io.llmstream.local.mock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Rate limits enforced the way OpenAI enforces them: per API key and model, one bucket of requests and
 * one of tokens, each refilled continuously at limit / 60 per second and holding at most
 * limit × window / 60 s, so a per-minute limit is also a limit over every sub-minute window.
 *
 * <p>A request of cost c is admitted when a bucket holds at least min(c, capacity); then all of c is
 * taken and the bucket may go negative. That way a request larger than the capacity still gets in
 * once the bucket is full, and pays for it with a longer wait for the next one.
 *
 * <p>The {@code x-ratelimit-remaining-*} headers report what the enforced bucket holds now (at most
 * limit × window / 60 s), so a client that never sends more than that never sees a 429.
 */
final class MockRateLimiter {

    static final String ORGANIZATION = "org-mock";

    private static final double NANOS_PER_MINUTE = 60e9;
    /** Slack for float rounding in the bucket arithmetic, far below one token. */
    private static final double EPSILON = 1e-9;

    /** Per-minute limits of one key and model; 0 is unlimited. */
    record Limits(long rpm, long tpm) {
        boolean unlimited() {
            return rpm == 0 && tpm == 0;
        }
    }

    private record Rule(String keyFingerprint, String model, Limits limits) {}

    private final Limits defaults;
    private final List<Rule> rules = new ArrayList<>();
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Buckets> buckets = new ConcurrentHashMap<>();

    MockRateLimiter(MockOptions options, LongSupplier nanoClock) {
        this.defaults = new Limits(options.rpm(), options.tpm());
        for (MockOptions.RateLimit limit : options.limits()) {
            String key = MockOptions.ANY.equals(limit.keySelector())
                    ? MockOptions.ANY
                    : MockAuth.fingerprint(limit.keySelector());
            rules.add(new Rule(key, limit.model(), new Limits(limit.rpm(), limit.tpm())));
        }
        this.windowNanos = options.limitWindow().toNanos();
        this.nanoClock = nanoClock;
    }

    /** One limit for every key and model, for endpoints outside the models' limits ({@code --batch-rpm}). */
    MockRateLimiter(Limits limits, Duration window, LongSupplier nanoClock) {
        this.defaults = limits;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    /** The limits of a key and model: the most specific rule, the last one among equals. */
    Limits limitsFor(String keyFingerprint, String model) {
        Limits best = defaults;
        int bestRank = -1;
        for (Rule rule : rules) {
            boolean keyExact = rule.keyFingerprint().equals(keyFingerprint);
            boolean modelExact = rule.model().equals(model);
            if ((!keyExact && !MockOptions.ANY.equals(rule.keyFingerprint()))
                    || (!modelExact && !MockOptions.ANY.equals(rule.model()))) {
                continue;
            }
            int rank = (keyExact ? 2 : 0) + (modelExact ? 1 : 0);
            if (rank >= bestRank) {
                best = rule.limits();
                bestRank = rank;
            }
        }
        return best;
    }

    /** Admits or refuses one request of {@code tokenCost} tokens, taking from both buckets only if both admit. */
    Decision acquire(String keyFingerprint, String model, long tokenCost) {
        return acquire(keyFingerprint, model, tokenCost, nanoClock.getAsLong());
    }

    /**
     * As {@link #acquire(String, String, long)}, deciding as of {@code arrivedNanos}: a provider's limiter
     * counts a request when it arrives, not when the server has finished reading and tokenizing it.
     */
    Decision acquire(String keyFingerprint, String model, long tokenCost, long arrivedNanos) {
        Buckets pair = buckets.computeIfAbsent(keyFingerprint + '\n' + model,
                k -> new Buckets(limitsFor(keyFingerprint, model), windowNanos, nanoClock.getAsLong()));
        if (pair.limits.unlimited()) {
            return new Decision(true, model, null, null, null, 0, 0, 0);
        }
        synchronized (pair) {
            long now = arrivedNanos;
            long waitRequests = 0;
            long waitTokens = 0;
            if (pair.requests != null) {
                pair.requests.refill(now);
                waitRequests = pair.requests.nanosUntilAdmits(1);
            }
            if (pair.tokens != null) {
                pair.tokens.refill(now);
                waitTokens = pair.tokens.nanosUntilAdmits(tokenCost);
            }
            if (waitRequests == 0 && waitTokens == 0) {
                if (pair.requests != null) {
                    pair.requests.level -= 1;
                }
                if (pair.tokens != null) {
                    pair.tokens.level -= tokenCost;
                }
                return new Decision(true, model, state(pair.requests), state(pair.tokens), null, 0, 0, 0);
            }
            boolean byTokens = waitTokens > waitRequests;
            Bucket refusing = byTokens ? pair.tokens : pair.requests;
            return new Decision(false, model, state(pair.requests), state(pair.tokens),
                    byTokens ? "tokens" : "requests", Math.max(waitRequests, waitTokens),
                    byTokens ? tokenCost : 1, refusing.usedPerMinute());
        }
    }

    private static BucketState state(Bucket bucket) {
        return bucket == null ? null : new BucketState(bucket.limit, bucket.level, bucket.nanosUntilFull());
    }

    /** One bucket's limit, level and time to refill, as seen right after a decision. */
    record BucketState(long limit, double level, long nanosUntilFull) {
        long remaining() {
            return (long) Math.floor(Math.max(0, level + EPSILON));
        }
    }

    /**
     * The outcome for one request: whether it was admitted, the state of both buckets (null when that
     * dimension is unlimited) and, when refused, which bucket refused it, how long to wait, and the
     * per-minute "used" and "requested" figures of OpenAI's message.
     */
    record Decision(boolean admitted, String model, BucketState requests, BucketState tokens, String refusedBy,
                    long retryAfterNanos, long requested, long used) {

        long retryAfterMillis() {
            return Math.max(1, ceilDiv(retryAfterNanos, 1_000_000));
        }

        /** The {@code retry-after*} headers (when refused) and the {@code x-ratelimit-*} headers. */
        Map<String, String> headers() {
            return headers(true);
        }

        /** The {@code retry-after*} headers (when refused) and, if {@code withLimits}, the {@code x-ratelimit-*} ones. */
        Map<String, String> headers(boolean withLimits) {
            Map<String, String> headers = new LinkedHashMap<>();
            if (!admitted) {
                headers.put("retry-after", String.valueOf(Math.max(1, ceilDiv(retryAfterNanos, 1_000_000_000))));
                headers.put("retry-after-ms", String.valueOf(retryAfterMillis()));
            }
            if (!withLimits) {
                return headers;
            }
            if (requests != null) {
                headers.put("x-ratelimit-limit-requests", String.valueOf(requests.limit()));
            }
            if (tokens != null) {
                headers.put("x-ratelimit-limit-tokens", String.valueOf(tokens.limit()));
            }
            if (requests != null) {
                headers.put("x-ratelimit-remaining-requests", String.valueOf(requests.remaining()));
            }
            if (tokens != null) {
                headers.put("x-ratelimit-remaining-tokens", String.valueOf(tokens.remaining()));
            }
            if (requests != null) {
                headers.put("x-ratelimit-reset-requests", goDuration(ceilDiv(requests.nanosUntilFull(), 1_000_000)));
            }
            if (tokens != null) {
                headers.put("x-ratelimit-reset-tokens", goDuration(ceilDiv(tokens.nanosUntilFull(), 1_000_000)));
            }
            return headers;
        }

        /** The 429 answer, worded as OpenAI words it. */
        MockErrors.Error error() {
            return error(true);
        }

        /** The 429 answer, worded as OpenAI words it, with or without the {@code x-ratelimit-*} headers. */
        MockErrors.Error error(boolean withLimits) {
            boolean byTokens = "tokens".equals(refusedBy);
            BucketState refusing = byTokens ? tokens : requests;
            String message = "Rate limit reached for " + model + " in organization " + ORGANIZATION + " on "
                    + (byTokens ? "tokens per min (TPM)" : "requests per min (RPM)") + ": Limit " + refusing.limit()
                    + ", Used " + used + ", Requested " + requested + ". Please try again in "
                    + goDuration(retryAfterMillis()) + ".";
            return new MockErrors.Error(429, message, refusedBy, null, "rate_limit_exceeded", headers(withLimits));
        }
    }

    /**
     * A duration in Go's {@code time.Duration} notation, as OpenAI writes its reset headers:
     * {@code 0s}, {@code 120ms}, {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h2m3.5s}.
     */
    static String goDuration(long millis) {
        if (millis <= 0) {
            return "0s";
        }
        if (millis < 1000) {
            return millis + "ms";
        }
        StringBuilder out = new StringBuilder();
        long hours = millis / 3_600_000;
        long minutes = millis / 60_000 % 60;
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            out.append(minutes).append('m');
        }
        out.append(millis / 1000 % 60);
        long fraction = millis % 1000;
        if (fraction > 0) {
            String digits = String.format("%03d", fraction);
            out.append('.').append(digits.replaceAll("0+$", ""));
        }
        return out.append('s').toString();
    }

    private static long ceilDiv(long value, long divisor) {
        return -Math.floorDiv(-value, divisor);
    }

    private static final class Buckets {
        final Limits limits;
        final Bucket requests;
        final Bucket tokens;

        Buckets(Limits limits, long windowNanos, long now) {
            this.limits = limits;
            this.requests = limits.rpm() > 0 ? new Bucket(limits.rpm(), windowNanos, now) : null;
            this.tokens = limits.tpm() > 0 ? new Bucket(limits.tpm(), windowNanos, now) : null;
        }
    }

    /** A continuously refilled bucket; guarded by the {@link Buckets} that holds it. */
    private static final class Bucket {
        final long limit;
        final double capacity;
        double level;
        long lastNanos;

        Bucket(long limit, long windowNanos, long now) {
            this.limit = limit;
            this.capacity = limit * (double) windowNanos / NANOS_PER_MINUTE;
            this.level = capacity;
            this.lastNanos = now;
        }

        void refill(long now) {
            if (now > lastNanos) {
                level = Math.min(capacity, level + (now - lastNanos) * (double) limit / NANOS_PER_MINUTE);
                lastNanos = now;
            }
        }

        /** Zero when a request of this cost is admitted now, else the wait until it would be. */
        long nanosUntilAdmits(long cost) {
            return nanosUntil(Math.min(cost, capacity));
        }

        long nanosUntilFull() {
            return nanosUntil(capacity);
        }

        private long nanosUntil(double amount) {
            double deficit = amount - level;
            return deficit <= EPSILON ? 0 : (long) Math.ceil(deficit * NANOS_PER_MINUTE / limit);
        }

        /**
         * OpenAI's "Used": the spent share of the bucket scaled to the per-minute limit, so an empty bucket
         * reads "Used 600" of "Limit 600", and one in debt after a big request reads above the limit.
         */
        long usedPerMinute() {
            return Math.round((capacity - level) / capacity * limit);
        }
    }
}
