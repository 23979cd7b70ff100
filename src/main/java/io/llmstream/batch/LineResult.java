package io.llmstream.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.record.ErrorKind;

/**
 * The provider's answer to one line of a batch, from its output or error file:
 * {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": {"code", "message"}}}.
 * A line answered 200 carries the body an online request would have had; one that failed carries a status
 * (4xx, 5xx) with an error body, or no response and an error of the batch itself (an expired batch's
 * unfinished lines: {@code batch_expired}; a cancelled one's: {@code batch_cancelled}).
 *
 * @param customId the line's custom_id
 * @param status the line's HTTP status; 0 when it got no response
 * @param body the response body; null when none
 * @param errorCode the error's code or type; null when none
 * @param errorMessage the error's message; null when none
 */
public record LineResult(String customId, int status, JsonNode body, String errorCode, String errorMessage) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether the line was answered with a completion (or embeddings). */
    public boolean answered() {
        return status == 200 && body != null && !body.has("error");
    }

    /**
     * A line of an output or error file; null for a blank line.
     *
     * @throws IllegalArgumentException when the line is not a result (not JSON, no custom_id)
     */
    public static LineResult parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a batch result line is not JSON: " + e.getOriginalMessage());
        }
        JsonNode customId = json.path("custom_id");
        if (!customId.isTextual()) {
            throw new IllegalArgumentException("a batch result line has no custom_id");
        }
        JsonNode response = json.path("response");
        int status = response.path("status_code").asInt(0);
        JsonNode body = response.path("body");
        JsonNode error = json.path("error");
        if (error.isMissingNode() || error.isNull()) {
            // A failed line's error is in its body, as an online error answer's is.
            error = body.path("error");
        }
        String code = text(error.path("code"));
        if (code == null) {
            code = text(error.path("type"));
        }
        return new LineResult(customId.asText(), status, body.isObject() ? body : null, code,
                text(error.path("message")));
    }

    private static String text(JsonNode node) {
        return node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    /** Whether the provider refused the line for good (400, 404, 413, 422): a dead letter, as online. */
    boolean isRefused() {
        return status == 400 || status == 404 || status == 413 || status == 422;
    }

    /** The dead letter's kind of a refused line. */
    ErrorKind refusalKind() {
        if ("context_length_exceeded".equals(errorCode)) {
            return ErrorKind.CONTEXT_LENGTH_EXCEEDED;
        }
        return status == 404 ? ErrorKind.NOT_FOUND : ErrorKind.BAD_REQUEST;
    }

    /** The dead letter's kind of a line that got no answer in any of its batches. */
    static ErrorKind kindOf(LineResult result) {
        return result != null && result.status >= 500 ? ErrorKind.SERVER_ERROR : ErrorKind.TIMEOUT;
    }

    /** Why a line of a batch that ended as {@code batchStatus} got no answer. */
    static String unansweredReason(String batchStatus, LineResult result) {
        if (result == null) {
            return "batch ended " + batchStatus + " without an answer to the line";
        }
        if (result.status > 0) {
            return "the batch API answered the line " + result.status + result.describe();
        }
        return "batch ended " + batchStatus + result.describe();
    }

    /** " (code: message)", or nothing without either. */
    String describe() {
        if (errorCode == null && errorMessage == null) {
            return "";
        }
        return " (" + (errorCode == null ? "" : errorCode + ": ") + (errorMessage == null ? "" : errorMessage) + ")";
    }
}
