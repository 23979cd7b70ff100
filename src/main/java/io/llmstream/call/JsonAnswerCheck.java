package io.llmstream.call;

import io.llmstream.call.http.AttemptOutcome;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.AnswerSchema;
import io.llmstream.config.RecordsSettings;
import io.llmstream.record.ErrorKind;

/**
 * With {@code records.answer: json}, whether an answer is what was asked for: JSON, and JSON its response
 * format's schema allows. It is checked where the answer arrives, so an answer that is not is asked again
 * like any failed attempt, with the same backoff, and the last one becomes an {@code invalid_answer} dead
 * letter that keeps it.
 */
final class JsonAnswerCheck {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** An error code for each way an answer can fail the check. */
    static final String NOT_JSON = "not_json";
    static final String SCHEMA_VIOLATION = "schema_violation";

    private final AnswerSchema schema;

    /** @param schema null: any JSON value passes */
    JsonAnswerCheck(AnswerSchema schema) {
        this.schema = schema;
    }

    /** The check the configuration asks for; null when answers are text. */
    static JsonAnswerCheck of(RecordsSettings records) {
        return records.jsonAnswers() ? new JsonAnswerCheck(records.schema()) : null;
    }

    /** The failed attempt an answer makes when it does not pass; null when it passes. */
    AttemptOutcome failure(ChatAnswer answer) {
        String content = answer.content();
        if (content == null) {
            return invalid(NOT_JSON, "the answer has no content (only tool calls), not JSON");
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(content);
        } catch (JsonProcessingException e) {
            return invalid(NOT_JSON, "the answer is not JSON: " + e.getOriginalMessage()
                    + ("length".equals(answer.finishReason()) ? " (it was cut at max_tokens)" : ""));
        }
        if (parsed == null || parsed.isMissingNode()) {
            return invalid(NOT_JSON, "the answer is empty, not JSON");
        }
        String violation = schema == null ? null : schema.violation(parsed);
        return violation == null ? null : invalid(SCHEMA_VIOLATION, "the answer does not match the schema: "
                + violation);
    }

    private static AttemptOutcome invalid(String code, String message) {
        return AttemptOutcome.failure(ErrorKind.INVALID_ANSWER, 200, code, message, true, null);
    }
}
