package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * What Flink does when the job fails: restart it after a delay, or stop. By default it restarts with
 * exponential backoff without a limit, as a streaming pipeline should, so that it outlives a broker or a
 * provider outage; every failure and restart is reported in one line by the {@code run} command.
 */
public record RestartSettings(
        Strategy strategy,
        Duration initialDelay,
        Duration maxDelay,
        int maxAttempts,
        int giveUpAfter) implements Serializable {

    /** Flink's restart strategies that make sense for this job. */
    public enum Strategy {
        /** Wait initial-delay, doubling up to max-delay; back to initial-delay after an hour without failure. */
        EXPONENTIAL_DELAY,
        /** Wait initial-delay before every restart. */
        FIXED_DELAY,
        /** Never restart: the first failure ends the job. */
        NONE
    }

    public static final Option<Strategy> STRATEGY = Option.key("strategy").enumType(Strategy.class)
            .defaultValue(Strategy.EXPONENTIAL_DELAY)
            .withDescription("exponential-delay, fixed-delay or none.");
    public static final Option<Duration> INITIAL_DELAY = Option.key("initial-delay").durationType()
            .defaultValue(Duration.ofSeconds(1)).mustBe(v -> !v.isNegative(), ">= 0")
            .withDescription("Wait before the first restart (every restart with fixed-delay).");
    public static final Option<Duration> MAX_DELAY = Option.key("max-delay").durationType()
            .defaultValue(Duration.ofMinutes(1)).mustBe(v -> !v.isNegative(), ">= 0")
            .withDescription("Longest wait between restarts with exponential-delay.");
    public static final Option<Integer> MAX_ATTEMPTS = Option.key("max-attempts").intType().defaultValue(0)
            .mustBe(v -> v >= 0, ">= 0")
            .withDescription("Restarts before the job gives up and fails; 0 is no limit.");
    public static final Option<Integer> GIVE_UP_AFTER = Option.key("give-up-after").intType().defaultValue(5)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("A bounded run (job.bounded) stops with exit code 1 after this many failures in a "
                    + "row with no checkpoint completed in between: it is not getting anywhere.");

    static RestartSettings read(ConfigSection section) {
        RestartSettings settings = new RestartSettings(section.get(STRATEGY), section.get(INITIAL_DELAY),
                section.get(MAX_DELAY), section.get(MAX_ATTEMPTS), section.get(GIVE_UP_AFTER));
        if (settings.strategy == Strategy.EXPONENTIAL_DELAY
                && settings.maxDelay.compareTo(settings.initialDelay) < 0) {
            throw new ConfigException(section.pathOf(MAX_DELAY.key()) + " must be >= "
                    + section.pathOf(INITIAL_DELAY.key()) + " (" + Durations.format(settings.initialDelay)
                    + "), was " + Durations.format(settings.maxDelay));
        }
        return settings;
    }

    /** The restart budget in Flink's terms: no limit is the largest int. */
    public int attemptsOrUnlimited() {
        return maxAttempts == 0 ? Integer.MAX_VALUE : maxAttempts;
    }
}
