package io.llmstream.observe;

import java.util.Map;

/**
 * Short names of the error kinds for the narrow table column. Kinds this version does not know (a
 * newer job) keep their own name.
 */
final class ErrorKindNames {
    private static final Map<String, String> SHORT = Map.ofEntries(
            Map.entry("invalid_input", "input"),
            Map.entry("bad_request", "400"),
            Map.entry("auth", "auth"),
            Map.entry("not_found", "404"),
            Map.entry("context_length_exceeded", "ctx"),
            Map.entry("quota_exceeded", "quota"),
            Map.entry("rate_limited", "429"),
            Map.entry("server_error", "5xx"),
            Map.entry("timeout", "timeout"),
            Map.entry("connection", "conn"),
            Map.entry("malformed_response", "malformed"),
            Map.entry("internal", "internal"),
            Map.entry("output_too_large", "big"));

    private ErrorKindNames() {}

    static String shortName(String kind) {
        return SHORT.getOrDefault(kind, kind);
    }

    /** Whether the short name differs from the kind, so a legend has to explain it. */
    static boolean abbreviated(String kind) {
        return !shortName(kind).equals(kind);
    }
}
