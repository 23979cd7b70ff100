package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The error answers of the mock, each with OpenAI's status and body
 * ({@code {"error": {"message", "type", "param", "code"}}}) so clients exercise the same parsing they
 * use against the real service.
 */
final class MockErrors {

    static final String INVALID_REQUEST = "invalid_request_error";

    private MockErrors() {}

    /** One error answer: status, body fields and any extra headers (such as {@code retry-after}). */
    record Error(int status, String message, String type, String param, String code, Map<String, String> headers) {

        Error(int status, String message, String type, String param, String code) {
            this(status, message, type, param, code, Map.of());
        }

        Error withHeaders(Map<String, String> extra) {
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.putAll(extra);
            return new Error(status, message, type, param, code, all);
        }

        ObjectNode body(ObjectMapper json) {
            ObjectNode root = json.createObjectNode();
            ObjectNode error = root.putObject("error");
            error.put("message", message);
            error.put("type", type);
            error.put("param", param);
            error.put("code", code);
            return root;
        }
    }

    static Error invalidRequest(String message, String param) {
        return new Error(400, message, INVALID_REQUEST, param, null);
    }

    static Error invalidRequest(String message, String param, String code) {
        return new Error(400, message, INVALID_REQUEST, param, code);
    }

    static Error missingKey() {
        return new Error(401, "You didn't provide an API key. You need to provide your API key in an Authorization"
                + " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or an api-key header.",
                INVALID_REQUEST, null, null);
    }

    static Error invalidKey(String fingerprint) {
        return new Error(401, "Incorrect API key provided: " + fingerprint + ". mock-llm accepts only the keys"
                + " given with --api-keys.", INVALID_REQUEST, null, "invalid_api_key");
    }

    static Error revokedKey(String fingerprint) {
        return new Error(401, "The API key " + fingerprint + " has been revoked.", INVALID_REQUEST, null,
                "invalid_api_key");
    }

    static Error modelNotFound(String model) {
        return new Error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                INVALID_REQUEST, "model", "model_not_found");
    }

    static Error contextLengthExceeded(int window, long promptTokens, long completionTokens) {
        return invalidRequest("This model's maximum context length is " + window + " tokens. However, you requested "
                + (promptTokens + completionTokens) + " tokens (" + promptTokens + " in the messages, "
                + completionTokens + " in the completion). Please reduce the length of the messages or completion.",
                "messages", "context_length_exceeded");
    }

    /** A moderation refusal, as third-party servers send it: the request is final, not worth another attempt. */
    static Error flagged() {
        return invalidRequest("Invalid prompt: flagged.", null, "invalid_prompt");
    }

    static Error insufficientQuota() {
        return new Error(429, "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota", null, "insufficient_quota");
    }

    static Error outage() {
        return new Error(503, "The server is overloaded or not ready yet (mock-llm outage window).",
                "service_unavailable", null, "service_unavailable");
    }

    static Error notFound(String method, String path) {
        return new Error(404, "Invalid URL (" + method + " " + path + ")", INVALID_REQUEST, null, "unknown_url");
    }

    /** OpenAI's answer to a file id it does not know, or one that was deleted. */
    static Error noSuchFile(String id) {
        return new Error(404, "No such File object: " + id, INVALID_REQUEST, "id", null);
    }

    static Error noSuchBatch(String id) {
        return new Error(404, "No batch found with id '" + id + "'.", INVALID_REQUEST, "id", null);
    }

    static Error methodNotAllowed(String method, String path) {
        return new Error(405, "Method " + method + " is not allowed on " + path, INVALID_REQUEST, null,
                "method_not_allowed");
    }

    /** The error for a status chosen by a directive or a random fault, with OpenAI's wording where it has one. */
    static Error forStatus(int status, String model) {
        return switch (status) {
            case 400 -> invalidRequest("Bad request (injected by mock-llm).", null);
            case 401 -> new Error(401, "Incorrect API key provided (injected by mock-llm).", INVALID_REQUEST, null,
                    "invalid_api_key");
            case 403 -> new Error(403, "You are not allowed to sample from this model (injected by mock-llm).",
                    INVALID_REQUEST, null, "permission_denied");
            case 404 -> modelNotFound(model);
            case 408 -> new Error(408, "Request timed out (injected by mock-llm).", "timeout", null, "timeout");
            case 409 -> new Error(409, "Conflict (injected by mock-llm).", INVALID_REQUEST, null, "conflict");
            case 422 -> new Error(422, "Unprocessable entity (injected by mock-llm).", INVALID_REQUEST, null,
                    "unprocessable_entity");
            case 429 -> new Error(429, "Rate limit reached for " + model + " in organization "
                    + MockRateLimiter.ORGANIZATION + " (injected by mock-llm).", "requests", null,
                    "rate_limit_exceeded");
            case 500 -> new Error(500, "The server had an error while processing your request. Sorry about that!"
                    + " (injected by mock-llm)", "server_error", null, "server_error");
            case 502 -> new Error(502, "Bad gateway (injected by mock-llm).", "server_error", null, "bad_gateway");
            case 503 -> new Error(503, "The server is overloaded or not ready yet (injected by mock-llm).",
                    "service_unavailable", null, "service_unavailable");
            default -> new Error(status, "Error " + status + " (injected by mock-llm).",
                    status < 500 ? INVALID_REQUEST : "server_error", null, null);
        };
    }
}
