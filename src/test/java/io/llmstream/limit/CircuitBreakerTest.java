package io.llmstream.limit;

import io.llmstream.config.BreakerSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class CircuitBreakerTest {
    private static final long SECOND = 1_000_000L;
    private final CircuitBreaker breaker = new CircuitBreaker(new BreakerSettings(0.5, 4, 6, Duration.ofSeconds(10),
            Duration.ofSeconds(5), BreakerSettings.WhenOpen.WAIT));

    @Test
    void staysClosedUntilEnoughAttemptsFail() {
        breaker.record(0, true);
        breaker.record(1, true);
        breaker.record(2, true);
        assertThat(breaker.state()).as("fewer than minimum-calls").isEqualTo(CircuitBreaker.State.CLOSED);

        breaker.record(3, false);

        assertThat(breaker.state()).as("3 of 4 failed").isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allows(4)).isFalse();
        assertThat(breaker.nextPermitMicros()).isEqualTo(3 + 5 * SECOND);
    }

    @Test
    void forgetsFailuresOutsideTheWindow() {
        breaker.record(0, true);
        breaker.record(1, true);
        breaker.record(11 * SECOND, false);
        breaker.record(11 * SECOND + 1, false);
        breaker.record(11 * SECOND + 2, true);

        assertThat(breaker.state()).as("1 of 3 within the window").isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void looksOnlyAtTheLatestWindowCallsAttempts() {
        for (int i = 0; i < 6; i++) {
            breaker.record(i, false);
        }
        breaker.record(6, true);
        breaker.record(7, true);
        assertThat(breaker.state()).as("2 of the last 6 failed").isEqualTo(CircuitBreaker.State.CLOSED);

        breaker.record(8, true);

        assertThat(breaker.state()).as("3 of the last 6 failed, though only 3 of all 9").isEqualTo(
                CircuitBreaker.State.OPEN);
        assertThat(breaker.windowSummary()).isEqualTo("3 of the last 6 attempts failed");
    }

    @Test
    void letsOneProbeThroughWhenHalfOpenAndClosesWhenItSucceeds() {
        long openedAt = openAt(0);

        assertThat(breaker.allows(openedAt + 5 * SECOND - 1)).as("still open").isFalse();
        assertThat(breaker.allows(openedAt + 5 * SECOND)).isTrue();
        breaker.admitted();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.allows(openedAt + 5 * SECOND + 1)).as("only one probe").isFalse();

        assertThat(breaker.record(6 * SECOND, false)).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allows(6 * SECOND)).isTrue();
        assertThat(breaker.openMicrosTotal(7 * SECOND)).isEqualTo(6 * SECOND - 3);
        assertThat(breaker.openings()).isEqualTo(1);
    }

    @Test
    void opensAgainWhenTheProbeFails() {
        long openedAt = openAt(0);
        assertThat(breaker.allows(openedAt + 5 * SECOND)).isTrue();
        breaker.admitted();

        assertThat(breaker.record(6 * SECOND, true)).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allows(10 * SECOND)).isFalse();
        assertThat(breaker.allows(11 * SECOND)).isTrue();
        assertThat(breaker.openings()).as("still the same opening").isEqualTo(1);
    }

    /** Fails four attempts from {@code micros} on; returns the instant the last one opened the circuit. */
    private long openAt(long micros) {
        for (int i = 0; i < 4; i++) {
            breaker.record(micros + i, true);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        return micros + 3;
    }
}
