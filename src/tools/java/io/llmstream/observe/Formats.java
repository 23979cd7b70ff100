package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.OptionalDouble;

/** Number and time formats shared by the table and the report; always UTC and a dot for decimals. */
final class Formats {
    static final String NONE = "-";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private Formats() {}

    /** {@code 12,345}. */
    static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** {@code 1 window}, {@code 1,080 windows}. */
    static String count(long value, String noun) {
        return count(value) + " " + noun + (value == 1 ? "" : "s");
    }

    /** {@code 9.8}, or {@code 1,234} from a thousand up. */
    static String rate(double value) {
        return value >= 1000 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }

    /** {@code 98.9%} for a fraction 0.989. */
    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }

    /** A percentage, or {@code -} when the record has none (no limit configured). */
    static String percent(OptionalDouble fraction) {
        return fraction.isPresent() ? percent(fraction.getAsDouble()) : NONE;
    }

    /** {@code $0.0123} below ten dollars, {@code $1,234.57} above. */
    static String usd(double value) {
        return value < 10 ? String.format(Locale.ROOT, "$%.4f", value) : String.format(Locale.ROOT, "$%,.2f", value);
    }

    /** A cost, or {@code -} when no price is configured. */
    static String usd(OptionalDouble value) {
        return value.isPresent() ? usd(value.getAsDouble()) : NONE;
    }

    /** {@code 08:06:10}, UTC. */
    static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** {@code 2026-11-24 08:06:10}, UTC. */
    static String dateTime(Instant instant) {
        return DATE_TIME.format(instant);
    }

    /** {@code 45s}, {@code 12m}, {@code 3h}, {@code 2d}: how long ago, roughly. */
    static String age(Duration age) {
        long seconds = Math.max(0, age.toSeconds());
        if (seconds < 120) {
            return seconds + "s";
        } else if (seconds < 120 * 60) {
            return seconds / 60 + "m";
        } else if (seconds < 48 * 3600) {
            return seconds / 3600 + "h";
        }
        return seconds / 86_400 + "d";
    }
}
