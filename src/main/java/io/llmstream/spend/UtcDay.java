package io.llmstream.spend;

import java.time.LocalDate;

/** The UTC days that spend caps count by: days since 1970-01-01. */
public final class UtcDay {
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private UtcDay() {}

    /** The UTC day of an instant. */
    public static long of(long epochMillis) {
        return Math.floorDiv(epochMillis, MILLIS_PER_DAY);
    }

    /** When the UTC day after that of {@code epochMillis} begins. */
    public static long nextStartMillis(long epochMillis) {
        return (of(epochMillis) + 1) * MILLIS_PER_DAY;
    }

    /** The day as a date, e.g. 2026-12-05, for messages. */
    public static String format(long day) {
        return LocalDate.ofEpochDay(day).toString();
    }
}
