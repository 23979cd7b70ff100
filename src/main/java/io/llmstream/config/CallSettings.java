package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/** How the async operator calls the API: order, concurrency, deadlines and retries. */
public record CallSettings(
        Order order,
        int capacity,
        Duration timeout,
        Duration attemptTimeout,
        Duration firstTokenTimeout,
        Duration idleTimeout,
        Duration priorityAging,
        RetrySettings retry,
        BreakerSettings breaker) implements Serializable {

    /** In what order results leave the call stage. */
    public enum Order {
        /**
         * Records that share an id are answered one after another, in input order; all others as they
         * complete. Outputs are keyed by id, so this is the order a reader of the output can see, and a
         * slow answer holds back only the records of its own id.
         */
        PER_ID,
        /** Every result in input order (Flink's orderedWait): one slow answer holds back all behind it. */
        INPUT,
        /** As they complete (Flink's unorderedWait). */
        NONE
    }

    public static final Option<Order> ORDER = Option.key("order").enumType(Order.class).defaultValue(Order.PER_ID)
            .withDescription("per-id: records that share an id in input order, the rest as they complete; "
                    + "input: every result in input order (a slow answer holds back all behind it); "
                    + "none: as they complete.");
    /** The earlier boolean form of {@link #ORDER}: true is per-id, false is none. */
    public static final Option<Boolean> ORDERED = Option.key("ordered").booleanType().noDefaultValue()
            .withDescription("Deprecated: true is order: per-id, false is order: none.");
    public static final Option<Integer> CAPACITY = Option.key("capacity").intType().defaultValue(100)
            .mustBe(v -> v > 0 && v <= 100_000, "between 1 and 100000")
            .withDescription("Requests in flight or waiting for budget per parallel instance; beyond it the "
                    + "job backpressures and the backlog stays in Kafka.");
    public static final Option<Duration> TIMEOUT = Option.key("timeout").durationType()
            .defaultValue(Duration.ofMinutes(15)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Deadline of one prompt from its admission, covering every attempt and backoff; "
                    + "past it the prompt becomes a dead letter of kind timeout.");
    public static final Option<Duration> ATTEMPT_TIMEOUT = Option.key("attempt-timeout").durationType()
            .defaultValue(Duration.ofMinutes(10)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Longest one HTTP attempt may take, from sending to the end of the answer. Long "
                    + "generations stream for minutes; hung requests are caught by the first-token and idle "
                    + "timeouts long before this.");
    public static final Option<Duration> FIRST_TOKEN_TIMEOUT = Option.key("first-token-timeout").durationType()
            .defaultValue(Duration.ofSeconds(60)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Longest wait for the first chunk of a streamed answer (the whole answer of an "
                    + "unstreamed one). Once a model has answered enough requests, the wait is "
                    + FirstTokenWait.P99_MULTIPLIER + " times its recent p99 time to first token, at least "
                    + FirstTokenWait.MIN_WAIT.toSeconds() + "s, at most this (and never beyond attempt-timeout).");
    public static final Option<Duration> IDLE_TIMEOUT = Option.key("idle-timeout").durationType()
            .defaultValue(Duration.ofSeconds(30)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Longest pause between two chunks of a streamed answer.");

    public static final Option<Duration> PRIORITY_AGING = Option.key("priority-aging").durationType()
            .defaultValue(Duration.ofSeconds(10)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Waiting this long for budget raises a request's priority by one, so low "
                    + "priorities are never starved.");

    /** Priorities beyond this many levels either way count as this many. */
    public static final int PRIORITY_LEVELS = 10;

    /** The rule of the adaptive first-token wait, documented with {@link #FIRST_TOKEN_TIMEOUT}. */
    public static final class FirstTokenWait {
        /** The wait is this many times the model's recent p99 time to first token. */
        public static final int P99_MULTIPLIER = 4;
        /** ... and never shorter than this. */
        public static final Duration MIN_WAIT = Duration.ofSeconds(2);
        /** Answers a model must have given before its own times count. */
        public static final int MIN_SAMPLES = 20;

        private FirstTokenWait() {}
    }

    static CallSettings read(ConfigSection section) {
        Boolean ordered = section.get(ORDERED);
        Order order = section.get(ORDER);
        if (ordered != null) {
            if (section.has(ORDER.key())) {
                throw new ConfigException("give either " + section.pathOf(ORDER.key()) + " or "
                        + section.pathOf(ORDERED.key()) + ", not both; " + section.pathOf(ORDERED.key())
                        + " is the deprecated form, was " + ordered);
            }
            order = ordered ? Order.PER_ID : Order.NONE;
        }
        Duration timeout = section.get(TIMEOUT);
        Duration attemptTimeout = section.get(ATTEMPT_TIMEOUT);
        if (!section.has(ATTEMPT_TIMEOUT.key()) && attemptTimeout.compareTo(timeout) > 0) {
            attemptTimeout = timeout;
        }
        CallSettings settings = new CallSettings(
                order,
                section.get(CAPACITY),
                timeout,
                attemptTimeout,
                section.get(FIRST_TOKEN_TIMEOUT),
                section.get(IDLE_TIMEOUT),
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
