package io.llmstream.call.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.record.ErrorKind;

import java.time.Duration;
import java.util.Locale;

/**
 * The error object of OpenAI's protocol, {@code {"error": {"message", "type", "code", "status"?}}}, as an
 * attempt's outcome. Behind an HTTP error status it refines that status ({@code insufficient_quota},
 * {@code context_length_exceeded}). Inside an answer sent with 200 (an event of a stream, or a plain body)
 * it stands for the status it names: its {@code status}, a numeric {@code code} (llama.cpp sends one),
 * or its {@code type}. The outcome then carries that status, so a refused key, a 429 and a bad request
 * are handled exactly as if the server had put them in its status line; the message says where the
 * error came.
 */
final class ProviderError {
    /** A 2xx answer whose error names no status and no known type: a server error, worth another attempt. */
    static final int UNKNOWN_ERROR_STATUS = 500;

    private ProviderError() {}

    /** The outcome of an error object that came with an HTTP error status. */
    static AttemptOutcome behindStatus(int status, JsonNode error, String fallbackMessage, Duration retryAfter) {
        String code = text(error.get("code"));
        String type = text(error.get("type"));
        String message = error.hasNonNull("message") ? error.get("message").asText() : fallbackMessage;
        ErrorKind kind = kindOf(status, code, type);
        return AttemptOutcome.failure(kind, status, code, "HTTP " + status + (message.isEmpty() ? "" : ": " + message),
                StatusPolicy.shouldRetry(kind, status), retryAfter);
    }

    /**
     * The outcome of an error object that came inside a 200 answer ({@code where}: "in the stream", "in the
     * answer"), classified as the status it stands for.
     */
    static AttemptOutcome insideAnswer(JsonNode error, String where) {
        String code = text(error.get("code"));
        String type = text(error.get("type"));
        int status = statusOf(error, type);
        ErrorKind kind = kindOf(status, code, type);
        String message = error.path("message").asText("");
        StringBuilder shown = new StringBuilder("error ").append(where).append(" of a 200 answer");
        if (type != null || code != null) {
            shown.append(" (");
            if (type != null) {
                shown.append(type);
            }
            if (code != null && !code.equals(type)) {
                shown.append(type != null ? ", " : "").append(code);
            }
            shown.append(')');
        }
        if (!message.isEmpty()) {
            shown.append(": ").append(message);
        }
        return AttemptOutcome.failure(kind, status, code, shown.toString(), StatusPolicy.shouldRetry(kind, status), null);
    }

    /** The HTTP status an error inside a 200 answer stands for. */
    static int statusOf(JsonNode error, String type) {
        int named = httpStatus(error.get("status"));
        if (named > 0) {
            return named;
        }
        JsonNode code = error.get("code");
        int numericCode = httpStatus(code);
        if (numericCode > 0) {
            return numericCode;
        }
        int byCode = code == null || !code.isTextual() ? 0 : switch (code.asText().toLowerCase(Locale.ROOT)) {
            case "rate_limit_exceeded", "insufficient_quota" -> 429;
            case "invalid_api_key" -> 401;
            case "permission_denied" -> 403;
            case "model_not_found" -> 404;
            case "context_length_exceeded" -> 400;
            default -> 0;
        };
        if (byCode > 0) {
            return byCode;
        }
        if (type == null) {
            return UNKNOWN_ERROR_STATUS;
        }
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "rate_limit_error", "rate_limit_exceeded", "tokens", "requests" -> 429;
            case "insufficient_quota" -> 429;
            case "overloaded_error" -> 503;
            default -> UNKNOWN_ERROR_STATUS; // server_error, api_error, and whatever a server invents
        };
    }

    /** The kind of an error of this status, refined by the provider's code and type where they say more. */
    static ErrorKind kindOf(int status, String code, String type) {
        if ("context_length_exceeded".equals(code) || "context_length_exceeded".equals(type)) {
            return ErrorKind.CONTEXT_LENGTH_EXCEEDED;
        }
        if ("insufficient_quota".equals(code) || "insufficient_quota".equals(type)) {
            return ErrorKind.QUOTA_EXCEEDED;
        }
        return StatusPolicy.kindOf(status, code);
    }

    /** A status in a JSON field, as a number or a numeric string; 0 if it is not an HTTP error status. */
    private static int httpStatus(JsonNode node) {
        if (node == null || node.isNull()) {
            return 0;
        }
        int value;
        if (node.isIntegralNumber()) {
            value = node.asInt();
        } else if (node.isTextual() && node.asText().matches("\\d{3}")) {
            value = Integer.parseInt(node.asText());
        } else {
            return 0;
        }
        return value >= 400 && value <= 599 ? value : 0;
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() || node.isContainerNode() ? null : node.asText();
    }
}
