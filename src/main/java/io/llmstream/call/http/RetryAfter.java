package io.llmstream.call.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads how long a provider asks us to wait: {@code retry-after-ms}, {@code Retry-After} in seconds
 * or as an HTTP date, and OpenAI's {@code x-ratelimit-reset-requests/tokens} in Go's duration format
 * ({@code 6m0s}, {@code 1.5s}, {@code 120ms}).
 */
public final class RetryAfter {
    private static final Pattern GO_DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|us|µs|ns|m|s)");

    private RetryAfter() {}

    /**
     * The wait the headers ask for, most precise first; empty if they ask for none.
     *
     * @param header looks up a response header by name, case-insensitively; null if absent
     */
    public static Optional<Duration> fromHeaders(Function<String, String> header, Instant now) {
        Optional<Duration> millis = parseMillis(header.apply("retry-after-ms"));
        if (millis.isPresent()) {
            return millis;
        }
        Optional<Duration> retryAfter = parseRetryAfter(header.apply("retry-after"), now);
        if (retryAfter.isPresent()) {
            return retryAfter;
        }
        Optional<Duration> requests = parseGoDuration(header.apply("x-ratelimit-reset-requests"));
        Optional<Duration> tokens = parseGoDuration(header.apply("x-ratelimit-reset-tokens"));
        if (requests.isPresent() && tokens.isPresent()) {
            return Optional.of(requests.get().compareTo(tokens.get()) >= 0 ? requests.get() : tokens.get());
        }
        return requests.isPresent() ? requests : tokens;
    }

    /** {@code retry-after-ms}: a number of milliseconds, possibly fractional. */
    static Optional<Duration> parseMillis(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            double millis = Double.parseDouble(value.trim());
            return millis < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(Math.round(millis * 1_000_000)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code Retry-After}: delay-seconds or an HTTP date (RFC 9110). */
    static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String trimmed = value.trim();
        try {
            double seconds = Double.parseDouble(trimmed);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(Math.round(seconds * 1000)));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(now, at);
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** Go's {@code time.Duration} text: a sequence of number+unit such as {@code 1m30.5s}. */
    static Optional<Duration> parseGoDuration(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String trimmed = value.trim();
        Matcher matcher = GO_DURATION_PART.matcher(trimmed);
        double nanos = 0;
        int consumed = 0;
        while (matcher.find()) {
            if (matcher.start() != consumed) {
                return Optional.empty();
            }
            nanos += Double.parseDouble(matcher.group(1)) * unitNanos(matcher.group(2));
            consumed = matcher.end();
        }
        if (consumed != trimmed.length() || consumed == 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.round(nanos)));
    }

    private static double unitNanos(String unit) {
        switch (unit) {
            case "h":
                return 3_600e9;
            case "m":
                return 60e9;
            case "s":
                return 1e9;
            case "ms":
                return 1e6;
            case "us":
            case "µs":
                return 1e3;
            default:
                return 1;
        }
    }
}
