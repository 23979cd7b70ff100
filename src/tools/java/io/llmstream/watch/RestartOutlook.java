package io.llmstream.watch;

import io.llmstream.config.Durations;
import io.llmstream.config.RestartSettings;

import java.time.Duration;

/**
 * What Flink does after a failure, told from {@code job.restart} the way Flink's restart strategies count:
 * exponential-delay doubles its wait from initial-delay up to max-delay (with 10% jitter) and starts over,
 * attempts included, after an hour without failure; fixed-delay waits initial-delay and counts every failure.
 * The watcher cannot see the wait on the JobManager, so it tells the expected one.
 */
final class RestartOutlook {
    /** As set by the job: exponential-delay resets after this long without a failure. */
    static final Duration RESET_AFTER = Duration.ofHours(1);

    private final RestartSettings restart;
    private int failures;
    private long lastFailureAt;
    private long currentDelayMillis;

    RestartOutlook(RestartSettings restart) {
        this.restart = restart;
    }

    /** Records a failure at this time and says what follows, e.g. {@code restarting in ~2s}. */
    String afterFailure(long at) {
        switch (restart.strategy()) {
            case NONE:
                return "no restart (job.restart.strategy: none)";
            case FIXED_DELAY:
                failures++;
                return failures > restart.attemptsOrUnlimited()
                        ? noneLeft()
                        : "restarting in " + Durations.format(restart.initialDelay());
            default:
                if (failures == 0 || at - lastFailureAt >= RESET_AFTER.toMillis() + currentDelayMillis) {
                    failures = 1;
                    currentDelayMillis = restart.initialDelay().toMillis();
                } else {
                    failures++;
                    currentDelayMillis = Math.min(currentDelayMillis * 2, restart.maxDelay().toMillis());
                }
                lastFailureAt = at;
                return failures > restart.attemptsOrUnlimited()
                        ? noneLeft()
                        : "restarting in ~" + Durations.format(Duration.ofMillis(currentDelayMillis));
        }
    }

    private String noneLeft() {
        return "no restart left (job.restart.max-attempts: " + restart.maxAttempts() + ")";
    }
}
