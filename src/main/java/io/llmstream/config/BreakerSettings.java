package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * The circuit breaker of each endpoint and model: it opens when too many of the latest attempts fail,
 * lets one probe through after a while, and closes when the probe succeeds.
 *
 * <p>The failure rate is taken over the last {@code window-calls} attempts, and only those within the
 * last {@code window}: a count keeps it quick to react whatever the traffic (a key slowed down by
 * failures sends few requests), the time limit keeps old successes from hiding a new outage.
 */
public record BreakerSettings(
        double failureRate,
        int minimumCalls,
        int windowCalls,
        Duration window,
        Duration openFor,
        WhenOpen whenOpen) implements Serializable {

    public static final Option<Double> FAILURE_RATE = Option.key("failure-rate").doubleType().defaultValue(0.5)
            .mustBe(v -> v > 0 && v <= 1, "> 0 and <= 1")
            .withDescription("Share of failed attempts (5xx, timeouts, connection errors, malformed answers) "
                    + "within the window that opens the circuit.");
    public static final Option<Integer> MINIMUM_CALLS = Option.key("minimum-calls").intType().defaultValue(10)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Attempts within the window before the failure rate counts.");
    public static final Option<Integer> WINDOW_CALLS = Option.key("window-calls").intType().defaultValue(20)
            .mustBe(v -> v > 0 && v <= 10_000, "between 1 and 10000")
            .withDescription("How many of the latest attempts the failure rate looks at.");
    public static final Option<Duration> WINDOW = Option.key("window").durationType()
            .defaultValue(Duration.ofSeconds(10)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("How far back in time the failure rate looks at most.");
    public static final Option<Duration> OPEN_FOR = Option.key("open-for").durationType()
            .defaultValue(Duration.ofSeconds(5)).mustBe(v -> v.toMillis() >= 10, ">= 10ms")
            .withDescription("How long the circuit stays open before one probe request may go.");
    public static final Option<WhenOpen> WHEN_OPEN = Option.key("when-open").enumType(WhenOpen.class)
            .defaultValue(WhenOpen.FALLBACK)
            .withDescription("fallback: requests go to the model's fallbacks while its circuit is open (and wait "
                    + "when it has none); wait: requests wait for the circuit to close.");

    /** What requests do while a model's circuit is open. */
    public enum WhenOpen { FALLBACK, WAIT }

    static BreakerSettings read(ConfigSection section) {
        BreakerSettings settings = new BreakerSettings(section.get(FAILURE_RATE), section.get(MINIMUM_CALLS),
                section.get(WINDOW_CALLS), section.get(WINDOW), section.get(OPEN_FOR), section.get(WHEN_OPEN));
        if (settings.minimumCalls > settings.windowCalls) {
            throw new ConfigException(section.pathOf(MINIMUM_CALLS.key()) + " must be <= "
                    + section.pathOf(WINDOW_CALLS.key()) + " (" + settings.windowCalls + "), was "
                    + settings.minimumCalls);
        }
        return settings;
    }
}
