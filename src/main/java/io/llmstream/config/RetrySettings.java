package io.llmstream.config;

import io.llmstream.record.ErrorKind;

import java.io.Serializable;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which failures are tried again and how: exponential backoff with full jitter between attempts, the
 * provider's own wait after a 429, and bounds on attempts.
 *
 * @param retryOn the error kinds tried again; the others are final at once
 * @param malformedAttempts attempts for an answer that is not a chat completion, before it is dead-lettered
 */
public record RetrySettings(
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        double multiplier,
        Set<ErrorKind> retryOn,
        int malformedAttempts) implements Serializable {

    /** The kinds that can be worth another attempt; all others are final by their nature. */
    public static final Set<ErrorKind> RETRYABLE_KINDS = EnumSet.of(ErrorKind.RATE_LIMITED, ErrorKind.SERVER_ERROR,
            ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.MALFORMED_RESPONSE);

    public static final Option<Integer> MAX_ATTEMPTS = Option.key("max-attempts").intType().defaultValue(4)
            .mustBe(v -> v >= 1 && v <= 100, "between 1 and 100")
            .withDescription("Attempts per prompt including the first; 1 disables retries.");
    public static final Option<Duration> INITIAL_BACKOFF = Option.key("initial-backoff").durationType()
            .defaultValue(Duration.ofMillis(500)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Upper bound of the first backoff; each retry waits a random time below the bound.");
    public static final Option<Duration> MAX_BACKOFF = Option.key("max-backoff").durationType()
            .defaultValue(Duration.ofSeconds(30)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("Largest backoff bound.");
    public static final Option<Double> MULTIPLIER = Option.key("multiplier").doubleType().defaultValue(2.0)
            .mustBe(v -> v >= 1.0, ">= 1.0")
            .withDescription("Growth of the backoff bound per attempt.");
    public static final Option<List<String>> RETRY_ON = Option.key("retry-on").type(ValueType.STRING_LIST)
            .defaultValue(List.of("rate_limited", "server_error", "timeout", "connection", "malformed_response"))
            .withDescription("Error kinds tried again: rate_limited (429), server_error (5xx, 409), timeout "
                    + "(408, attempt timeouts), connection, malformed_response. Others are final.");
    public static final Option<Integer> MALFORMED_ATTEMPTS = Option.key("malformed-attempts").intType()
            .defaultValue(2).mustBe(v -> v >= 1, ">= 1")
            .withDescription("Attempts that may end in a malformed answer before the prompt is dead-lettered.");

    static RetrySettings read(ConfigSection section) {
        Set<ErrorKind> retryOn = EnumSet.noneOf(ErrorKind.class);
        for (String name : section.get(RETRY_ON)) {
            ErrorKind kind = parseKind(name.trim());
            if (kind == null || !RETRYABLE_KINDS.contains(kind)) {
                throw new ConfigException(section.pathOf(RETRY_ON.key()) + " must list only rate_limited, "
                        + "server_error, timeout, connection or malformed_response, was " + name
                        + (kind == null ? "" : " (" + name + " is final: trying it again cannot help)"));
            }
            retryOn.add(kind);
        }
        return new RetrySettings(section.get(MAX_ATTEMPTS), section.get(INITIAL_BACKOFF), section.get(MAX_BACKOFF),
                section.get(MULTIPLIER), Set.copyOf(retryOn), section.get(MALFORMED_ATTEMPTS));
    }

    private static ErrorKind parseKind(String name) {
        for (ErrorKind kind : ErrorKind.values()) {
            if (kind.jsonName().equals(name.toLowerCase(Locale.ROOT).replace('-', '_'))) {
                return kind;
            }
        }
        return null;
    }

    /** Whether a failure of this kind is tried again (attempts and deadline permitting). */
    public boolean retries(ErrorKind kind) {
        return retryOn.contains(kind);
    }
}
