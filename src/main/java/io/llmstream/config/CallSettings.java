package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/** How the async operator calls the API: order, concurrency, deadlines and retries. */
public record CallSettings(
        boolean ordered,
        int capacity,
        Duration timeout,
        Duration attemptTimeout,
        Duration priorityAging,
        RetrySettings retry,
        BreakerSettings breaker) implements Serializable {

    public static final Option<Boolean> ORDERED = Option.key("ordered").booleanType().defaultValue(true)
            .withDescription("Emit results in input order (orderedWait) or as they complete (unorderedWait).");
    public static final Option<Integer> CAPACITY = Option.key("capacity").intType().defaultValue(100)
            .mustBe(v -> v > 0 && v <= 100_000, "between 1 and 100000")
            .withDescription("Requests in flight or waiting for budget per parallel instance; beyond it the "
                    + "job backpressures and the backlog stays in Kafka.");
    public static final Option<Duration> TIMEOUT = Option.key("timeout").durationType()
            .defaultValue(Duration.ofSeconds(120)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Deadline of one prompt from its admission, covering every attempt and backoff; "
                    + "past it the prompt becomes a dead letter of kind timeout.");
    public static final Option<Duration> ATTEMPT_TIMEOUT = Option.key("attempt-timeout").durationType()
            .defaultValue(Duration.ofSeconds(60)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Timeout of one HTTP attempt, from sending to the whole response.");

    public static final Option<Duration> PRIORITY_AGING = Option.key("priority-aging").durationType()
            .defaultValue(Duration.ofSeconds(10)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Waiting this long for budget raises a request's priority by one, so low "
                    + "priorities are never starved.");

    /** Priorities beyond this many levels either way count as this many. */
    public static final int PRIORITY_LEVELS = 10;

    static CallSettings read(ConfigSection section) {
        CallSettings settings = new CallSettings(
                section.get(ORDERED),
                section.get(CAPACITY),
                section.get(TIMEOUT),
                section.get(ATTEMPT_TIMEOUT),
                section.get(PRIORITY_AGING),
                RetrySettings.read(section.section("retry")),
                BreakerSettings.read(section.section("breaker")));
        if (settings.attemptTimeout.compareTo(settings.timeout) > 0) {
            throw new ConfigException(section.pathOf(ATTEMPT_TIMEOUT.key()) + " must be <= "
                    + section.pathOf(TIMEOUT.key()) + " (" + Durations.format(settings.timeout) + "), was "
                    + Durations.format(settings.attemptTimeout));
        }
        return settings;
    }
}
