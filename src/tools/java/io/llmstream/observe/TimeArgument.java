package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A point in time on the command line: {@code now}, relative to now ({@code -90s}, {@code -15m},
 * {@code -1h}, {@code -2d}, {@code -1w}), or ISO-8601 ({@code 2026-11-24T08:00:00Z},
 * {@code 2026-11-24T09:00+01:00}, {@code 2026-11-24T08:00} and {@code 2026-11-24}, the last two in UTC).
 */
public final class TimeArgument {
    private static final Pattern RELATIVE = Pattern.compile("-(\\d{1,9})([smhdw])");

    private TimeArgument() {}

    /**
     * Parses a time flag.
     *
     * @param flag the flag's name, for the message
     * @throws IllegalArgumentException naming the flag, the value and the accepted forms
     */
    public static Instant parse(String flag, String text, Instant now) {
        String value = text.trim();
        if (value.equalsIgnoreCase("now")) {
            return now;
        }
        Matcher relative = RELATIVE.matcher(value);
        if (relative.matches()) {
            long amount = Long.parseLong(relative.group(1));
            Duration unit = switch (relative.group(2)) {
                case "s" -> Duration.ofSeconds(1);
                case "m" -> Duration.ofMinutes(1);
                case "h" -> Duration.ofHours(1);
                case "d" -> Duration.ofDays(1);
                default -> Duration.ofDays(7);
            };
            return now.minus(unit.multipliedBy(amount));
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException notWithOffset) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notLocal) {
                try {
                    return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException notADate) {
                    throw new IllegalArgumentException("--" + flag + " must be now, a time relative to now like -1h "
                            + "(s, m, h, d, w) or an ISO-8601 time like 2026-11-24T08:00:00Z, was '" + text + "'");
                }
            }
        }
    }
}
