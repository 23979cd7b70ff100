package io.llmstream.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints durations the way the config file writes them: {@code 500ms}, {@code 10s}, {@code 2m}. */
public final class Durations {
    private static final Pattern DURATION =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|m|min|h|d)", Pattern.CASE_INSENSITIVE);

    private Durations() {}

    /**
     * Parses {@code <number><unit>} with unit ms, s, m (or min), h or d, or an ISO-8601 duration
     * such as {@code PT1M}. A bare {@code 0} is accepted; other numbers need a unit.
     *
     * @throws IllegalArgumentException if the text is not a duration
     */
    public static Duration parse(String text) {
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = DURATION.matcher(trimmed);
        if (matcher.matches()) {
            double amount = Double.parseDouble(matcher.group(1));
            long unitMillis = unitMillis(matcher.group(2).toLowerCase(Locale.ROOT));
            return Duration.ofNanos(Math.round(amount * unitMillis * 1_000_000d));
        }
        if (trimmed.toUpperCase(Locale.ROOT).startsWith("P")) {
            return Duration.parse(trimmed.toUpperCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 500ms, 10s, 2m, 1h)");
    }

    private static long unitMillis(String unit) {
        switch (unit) {
            case "ms":
                return 1L;
            case "s":
            case "sec":
                return 1_000L;
            case "m":
            case "min":
                return 60_000L;
            case "h":
                return 3_600_000L;
            default:
                return 86_400_000L;
        }
    }

    /** The shortest exact rendering of a duration in the config's own units, e.g. {@code 1500ms}, {@code 2m}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0 || millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
