package io.llmstream.local.mock;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The bucket arithmetic, on a clock the test moves by hand. */
class MockRateLimiterTest {

    private static final long MS = 1_000_000L;
    private static final String KEY = MockAuth.fingerprint("key-a");

    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private MockRateLimiter limiter(MockOptions.Builder options) {
        return new MockRateLimiter(options.build(), clock::get);
    }

    @Test
    void startsFullThenAdmitsAtLimitPerMinute() {
        // 600 RPM over a 1 s window: capacity 10, one more every 100 ms.
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(600));
        int admitted = 0;
        long start = clock.get();
        for (long t = 0; t <= 5_000; t++) {
            clock.set(start + t * MS);
            while (limiter.acquire(KEY, "gpt-4o", 1).admitted()) {
                admitted++;
            }
        }

        assertThat(admitted).isEqualTo(10 + 50);
    }

    @Test
    void aShorterWindowMeansASmallerBurst() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(600).limitWindow(Duration.ofMillis(300)));
        int burst = 0;
        while (limiter.acquire(KEY, "gpt-4o", 1).admitted()) {
            burst++;
        }

        assertThat(burst).isEqualTo(3);
    }

    @Test
    void refusalCarriesOpenAiHeadersAndMessage() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(600).tpm(60_000));
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.acquire(KEY, "gpt-4o", 10).admitted()).isTrue();
        }
        clock.addAndGet(40 * MS);
        MockRateLimiter.Decision refused = limiter.acquire(KEY, "gpt-4o", 10);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.headers()).containsExactly(
                java.util.Map.entry("retry-after", "1"),
                java.util.Map.entry("retry-after-ms", "60"),
                java.util.Map.entry("x-ratelimit-limit-requests", "600"),
                java.util.Map.entry("x-ratelimit-limit-tokens", "60000"),
                java.util.Map.entry("x-ratelimit-remaining-requests", "0"),
                java.util.Map.entry("x-ratelimit-remaining-tokens", "940"),
                java.util.Map.entry("x-ratelimit-reset-requests", "960ms"),
                java.util.Map.entry("x-ratelimit-reset-tokens", "60ms"));
        MockErrors.Error error = refused.error();
        assertThat(error.status()).isEqualTo(429);
        assertThat(error.type()).isEqualTo("requests");
        assertThat(error.code()).isEqualTo("rate_limit_exceeded");
        assertThat(error.message()).isEqualTo("Rate limit reached for gpt-4o in organization org-mock on requests"
                + " per min (RPM): Limit 600, Used 576, Requested 1. Please try again in 60ms.");
    }

    @Test
    void successCarriesTheSameLimitHeaders() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(600).tpm(6_000));
        MockRateLimiter.Decision admitted = limiter.acquire(KEY, "gpt-4o", 25);

        assertThat(admitted.admitted()).isTrue();
        assertThat(admitted.headers()).containsExactly(
                java.util.Map.entry("x-ratelimit-limit-requests", "600"),
                java.util.Map.entry("x-ratelimit-limit-tokens", "6000"),
                java.util.Map.entry("x-ratelimit-remaining-requests", "9"),
                java.util.Map.entry("x-ratelimit-remaining-tokens", "75"),
                java.util.Map.entry("x-ratelimit-reset-requests", "100ms"),
                java.util.Map.entry("x-ratelimit-reset-tokens", "250ms"));
    }

    @Test
    void withoutLimitHeadersOnlyARefusalSaysAnythingAndOnlyWhenToRetry() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(600).limitHeaders(false));
        MockRateLimiter.Decision admitted = limiter.acquire(KEY, "gpt-4o", 10);
        for (int i = 0; i < 9; i++) {
            limiter.acquire(KEY, "gpt-4o", 10);
        }
        MockRateLimiter.Decision refused = limiter.acquire(KEY, "gpt-4o", 10);

        assertThat(admitted.headers(false)).isEmpty();
        assertThat(refused.error(false).headers()).containsOnlyKeys("retry-after", "retry-after-ms");
    }

    @Test
    void aRequestLargerThanTheBucketGetsInWhenFullThenPaysWithAWait() {
        // 600 TPM over 1 s: 10 tokens of capacity, 10 more per second.
        MockRateLimiter limiter = limiter(MockOptions.builder().tpm(600));

        assertThat(limiter.acquire(KEY, "gpt-4o", 50).admitted()).isTrue();
        MockRateLimiter.Decision next = limiter.acquire(KEY, "gpt-4o", 1);
        assertThat(next.admitted()).isFalse();
        assertThat(next.refusedBy()).isEqualTo("tokens");
        assertThat(next.retryAfterMillis()).isEqualTo(4_100);
        assertThat(next.headers()).containsEntry("retry-after", "5").containsEntry("x-ratelimit-reset-tokens", "5s")
                .doesNotContainKey("x-ratelimit-limit-requests");
        assertThat(next.error().message()).isEqualTo("Rate limit reached for gpt-4o in organization org-mock on tokens"
                + " per min (TPM): Limit 600, Used 3000, Requested 1. Please try again in 4.1s.");

        clock.addAndGet(4_100 * MS);
        assertThat(limiter.acquire(KEY, "gpt-4o", 1).admitted()).isTrue();
    }

    @Test
    void refusesByTheBucketThatNeedsTheLongerWait() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(6_000).tpm(600));
        assertThat(limiter.acquire(KEY, "gpt-4o", 10).admitted()).isTrue();

        MockRateLimiter.Decision refused = limiter.acquire(KEY, "gpt-4o", 5);
        assertThat(refused.refusedBy()).isEqualTo("tokens");
        assertThat(refused.error().type()).isEqualTo("tokens");
        assertThat(refused.retryAfterMillis()).isEqualTo(500);
    }

    @Test
    void bucketsArePerKeyAndModel() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(60));

        assertThat(limiter.acquire(KEY, "gpt-4o", 1).admitted()).isTrue();
        assertThat(limiter.acquire(KEY, "gpt-4o", 1).admitted()).isFalse();
        assertThat(limiter.acquire(KEY, "gpt-4o-mini", 1).admitted()).isTrue();
        assertThat(limiter.acquire(MockAuth.fingerprint("key-b"), "gpt-4o", 1).admitted()).isTrue();
    }

    @Test
    void mostSpecificLimitWins() {
        MockRateLimiter limiter = limiter(MockOptions.builder().rpm(1).tpm(2)
                .limit("*", "gpt-4o", 10, 20)
                .limit("key-a", "*", 100, 200)
                .limit("key-a", "gpt-4o", 1000, 2000)
                .limit("*", "*", 5, 6));
        String other = MockAuth.fingerprint("key-b");

        assertThat(limiter.limitsFor(KEY, "gpt-4o")).isEqualTo(new MockRateLimiter.Limits(1000, 2000));
        assertThat(limiter.limitsFor(KEY, "gpt-4o-mini")).isEqualTo(new MockRateLimiter.Limits(100, 200));
        assertThat(limiter.limitsFor(other, "gpt-4o")).isEqualTo(new MockRateLimiter.Limits(10, 20));
        assertThat(limiter.limitsFor(other, "gpt-4o-mini")).isEqualTo(new MockRateLimiter.Limits(5, 6));
        assertThat(limiter(MockOptions.builder().rpm(1).tpm(2)).limitsFor(other, "x"))
                .isEqualTo(new MockRateLimiter.Limits(1, 2));
    }

    @Test
    void unlimitedSendsNoHeaders() {
        MockRateLimiter.Decision decision = limiter(MockOptions.builder()).acquire(KEY, "gpt-4o", 1_000_000);

        assertThat(decision.admitted()).isTrue();
        assertThat(decision.headers()).isEmpty();
    }

    @Test
    void formatsDurationsLikeGo() {
        assertThat(MockRateLimiter.goDuration(0)).isEqualTo("0s");
        assertThat(MockRateLimiter.goDuration(6)).isEqualTo("6ms");
        assertThat(MockRateLimiter.goDuration(120)).isEqualTo("120ms");
        assertThat(MockRateLimiter.goDuration(1_000)).isEqualTo("1s");
        assertThat(MockRateLimiter.goDuration(1_500)).isEqualTo("1.5s");
        assertThat(MockRateLimiter.goDuration(1_020)).isEqualTo("1.02s");
        assertThat(MockRateLimiter.goDuration(60_001)).isEqualTo("1m0.001s");
        assertThat(MockRateLimiter.goDuration(360_000)).isEqualTo("6m0s");
        assertThat(MockRateLimiter.goDuration(3_723_500)).isEqualTo("1h2m3.5s");
        assertThat(MockRateLimiter.goDuration(3_600_000)).isEqualTo("1h0m0s");
    }

    @Test
    void peakWindowsFindTheBusiestSecondAndMinute() {
        MockCounters counters = new MockCounters(clock::get, 0);
        MockCounters.KeyModelCounters keyModel = counters.keyModel(KEY, "gpt-4o");
        long start = clock.get();
        // 3 at 0 ms, 2 at 999 ms (5 within one second), 1 at 1000 ms (the first three have left).
        long[][] events = {{0, 10}, {0, 10}, {0, 10}, {999, 1}, {999, 1}, {1_000, 100}, {61_500, 7}};
        for (long[] event : events) {
            clock.set(start + event[0] * MS);
            keyModel.admitted(event[1]);
        }

        MockStats.KeyModel stats = counters.snapshot().keyModel("key-a", "gpt-4o");
        assertThat(stats.admitted()).isEqualTo(7);
        assertThat(stats.tokens()).isEqualTo(139);
        assertThat(stats.peakRequests1s()).isEqualTo(5);
        assertThat(stats.peakTokens1s()).isEqualTo(102);
        assertThat(stats.peakRequests60s()).isEqualTo(6);
        assertThat(stats.peakTokens60s()).isEqualTo(132);
    }
}
