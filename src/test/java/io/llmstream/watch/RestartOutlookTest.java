package io.llmstream.watch;

import io.llmstream.config.RestartSettings;
import io.llmstream.config.RestartSettings.Strategy;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RestartOutlookTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();

    @Test
    void exponentialDelayDoublesUpToTheMaximumAndStartsOverAfterAQuietHour() {
        RestartOutlook outlook = outlook(Strategy.EXPONENTIAL_DELAY, 0);
        assertThat(outlook.afterFailure(1_000)).isEqualTo("restarting in ~1s");
        assertThat(outlook.afterFailure(3_000)).isEqualTo("restarting in ~2s");
        assertThat(outlook.afterFailure(6_000)).isEqualTo("restarting in ~4s");
        for (int i = 0; i < 6; i++) {
            outlook.afterFailure(10_000 + i);
        }
        assertThat(outlook.afterFailure(20_000)).isEqualTo("restarting in ~1m");
        assertThat(outlook.afterFailure(20_000 + HOUR + 60_000)).isEqualTo("restarting in ~1s");
    }

    @Test
    void saysWhenTheAttemptsAreSpent() {
        RestartOutlook outlook = outlook(Strategy.EXPONENTIAL_DELAY, 2);
        outlook.afterFailure(1_000);
        outlook.afterFailure(2_000);
        assertThat(outlook.afterFailure(3_000)).isEqualTo("no restart left (job.restart.max-attempts: 2)");

        RestartOutlook fixed = outlook(Strategy.FIXED_DELAY, 1);
        assertThat(fixed.afterFailure(1_000)).isEqualTo("restarting in 1s");
        assertThat(fixed.afterFailure(1_000 + 2 * HOUR)).as("fixed-delay never starts over")
                .isEqualTo("no restart left (job.restart.max-attempts: 1)");
    }

    @Test
    void noneNeverRestarts() {
        assertThat(outlook(Strategy.NONE, 0).afterFailure(1_000)).isEqualTo("no restart (job.restart.strategy: none)");
    }

    private static RestartOutlook outlook(Strategy strategy, int maxAttempts) {
        return new RestartOutlook(new RestartSettings(strategy, Duration.ofSeconds(1), Duration.ofMinutes(1),
                maxAttempts, 5));
    }
}
