package io.llmstream.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(CallSettings.class);

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
            LOG.warn("{} is deprecated: write {}: {} instead", section.pathOf(ORDERED.key()),
                    section.pathOf(ORDER.key()), order.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
        CallSettings settings = new CallSettings(
                order,
                section.get(CAPACITY),
                section.get(TIMEOUT),
                section.get(ATTEMPT_TIMEOUT),
                section.get(FIRST_TOKEN_TIMEOUT),
                section.get(IDLE_TIMEOUT),
                section.get(PRIORITY_AGING),
                RetrySettings.read(section.section("retry")),
                BreakerSettings.read(section.section("breaker")))
                .withTimeoutsThatFollow(section);
        return settings;
    }

    /**
     * The deadlines nest: an attempt within the prompt's timeout, the first token and every pause within an
     * attempt. A deadline the user did not set follows those they did, down (a short {@code timeout} shortens
     * the attempt and the waits inside it) and up (a long {@code first-token-timeout} lengthens the attempt
     * and the prompt's timeout); only deadlines the user set both and in contradiction are refused.
     */
    private CallSettings withTimeoutsThatFollow(ConfigSection section) {
        boolean timeoutSet = section.has(TIMEOUT.key());
        boolean attemptSet = section.has(ATTEMPT_TIMEOUT.key());
        boolean firstTokenSet = section.has(FIRST_TOKEN_TIMEOUT.key());
        boolean idleSet = section.has(IDLE_TIMEOUT.key());
        Duration attempt = attemptTimeout;
        if (!attemptSet && firstTokenSet) {
            attempt = max(attempt, firstTokenTimeout);
        }
        if (!attemptSet && idleSet) {
            attempt = max(attempt, idleTimeout);
        }
        Duration prompt = timeoutSet ? timeout : max(timeout, attempt);
        if (!attemptSet) {
            attempt = min(attempt, prompt);
        }
        Duration firstToken = firstTokenSet ? firstTokenTimeout : min(firstTokenTimeout, attempt);
        Duration idle = idleSet ? idleTimeout : min(idleTimeout, attempt);
        String attemptFollows = attemptSet ? "" : " (" + section.pathOf(ATTEMPT_TIMEOUT.key()) + " is not set and follows "
                + section.pathOf(TIMEOUT.key()) + ")";
        requireWithin(section, ATTEMPT_TIMEOUT, attempt, TIMEOUT, prompt, "");
        requireWithin(section, FIRST_TOKEN_TIMEOUT, firstToken, ATTEMPT_TIMEOUT, attempt, attemptFollows);
        requireWithin(section, IDLE_TIMEOUT, idle, ATTEMPT_TIMEOUT, attempt, attemptFollows);
        return new CallSettings(order, capacity, prompt, attempt, firstToken, idle, priorityAging, retry, breaker);
    }

    private static void requireWithin(ConfigSection section, Option<Duration> inner, Duration innerValue,
            Option<Duration> outer, Duration outerValue, String note) {
        if (innerValue.compareTo(outerValue) > 0) {
            throw new ConfigException(section.pathOf(inner.key()) + " must be <= " + section.pathOf(outer.key()) + " ("
                    + Durations.format(outerValue) + ")" + note + ", was " + Durations.format(innerValue));
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
