package io.llmstream.call.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RetryAfterTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

    private static Optional<Duration> wait(Map<String, String> headers) {
        return RetryAfter.fromHeaders(headers::get, NOW);
    }

    @Test
    void readsRetryAfterSeconds() {
        assertThat(wait(Map.of("retry-after", "2"))).contains(Duration.ofSeconds(2));
    }

    @Test
    void readsRetryAfterAsAnHttpDate() {
        assertThat(wait(Map.of("retry-after", "Tue, 24 Nov 2026 10:00:07 GMT"))).contains(Duration.ofSeconds(7));
        assertThat(wait(Map.of("retry-after", "Tue, 24 Nov 2026 09:00:00 GMT"))).contains(Duration.ZERO);
    }

    @Test
    void prefersRetryAfterMilliseconds() {
        assertThat(wait(Map.of("retry-after", "1", "retry-after-ms", "250.5"))).contains(Duration.ofNanos(250_500_000));
    }

    @Test
    void readsOpenAiResetHeadersInGoDurationFormat() {
        assertThat(RetryAfter.parseGoDuration("6m0s")).contains(Duration.ofMinutes(6));
        assertThat(RetryAfter.parseGoDuration("1.5s")).contains(Duration.ofMillis(1500));
        assertThat(RetryAfter.parseGoDuration("120ms")).contains(Duration.ofMillis(120));
        assertThat(RetryAfter.parseGoDuration("1h2m3s")).contains(Duration.ofSeconds(3723));
        assertThat(RetryAfter.parseGoDuration("soon")).isEmpty();
        assertThat(RetryAfter.parseGoDuration("5x")).isEmpty();
        assertThat(wait(Map.of("x-ratelimit-reset-requests", "120ms", "x-ratelimit-reset-tokens", "2s")))
                .contains(Duration.ofSeconds(2));
    }

    @Test
    void ignoresGarbageAndAbsence() {
        assertThat(wait(Map.of("retry-after", "whenever"))).isEmpty();
        assertThat(wait(Map.of())).isEmpty();
        assertThat(wait(Map.of("retry-after-ms", "-5"))).isEmpty();
    }
}
