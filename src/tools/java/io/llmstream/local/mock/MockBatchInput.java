package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A batch's input file read and validated the way OpenAI validates it before a batch starts: every non-blank
 * line a JSON object with its own {@code custom_id}, {@code method} {@code POST}, the batch's endpoint as
 * {@code url} and a {@code body} that names a {@code model}. A bad line fails the whole batch; the errors name
 * the line (1-based), as OpenAI's do. What the body asks for is checked only when the line is answered, as an
 * online request's would be.
 */
final class MockBatchInput {

    static final String CHAT = "/v1/chat/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    /** OpenAI's limit of lines in one batch. */
    static final int MAX_LINES = 50_000;
    /** The most line errors a failed batch lists; a file of thousands of bad lines says enough with these. */
    static final int MAX_ERRORS = 100;

    /**
     * One valid line: where it was, its id and body, the model it asks, and its estimated tokens (prompt plus
     * {@code max_tokens}), which count against the enqueued-token limit while its batch is open.
     */
    record Line(int number, String customId, JsonNode body, String model, long tokens) {}

    /** One entry of a failed batch's {@code errors}; {@code line} and {@code param} may be null. */
    record LineError(String code, String message, String param, Integer line) {
        ObjectNode json(ObjectMapper json) {
            ObjectNode error = json.createObjectNode();
            error.put("code", code);
            error.put("message", message);
            error.put("param", param);
            if (line == null) {
                error.putNull("line");
            } else {
                error.put("line", line);
            }
            return error;
        }
    }

    /** The valid lines in file order, and the errors; a batch starts only without errors. */
    record Parsed(List<Line> lines, List<LineError> errors) {}

    private MockBatchInput() {}

    /**
     * Reads a file for a batch on {@code endpoint}.
     *
     * @param estimators each model's token estimator
     */
    static Parsed parse(byte[] content, String endpoint, ObjectMapper json,
                        Function<String, TokenEstimator> estimators) {
        List<Line> lines = new ArrayList<>();
        List<LineError> errors = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] raw = new String(content, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < raw.length && errors.size() < MAX_ERRORS; i++) {
            String text = raw[i].strip();
            if (text.isEmpty()) {
                continue;
            }
            int number = i + 1;
            JsonNode line;
            try {
                line = json.readTree(text);
            } catch (JsonProcessingException e) {
                line = null;
            }
            if (line == null || !line.isObject()) {
                errors.add(new LineError("invalid_json_line", "Line " + number + " is not a JSON object.", null,
                        number));
                continue;
            }
            LineError error = check(line, number, endpoint, seen);
            if (error != null) {
                errors.add(error);
                continue;
            }
            String customId = line.get("custom_id").asText();
            seen.put(customId, number);
            JsonNode body = line.get("body");
            String model = body.get("model").asText();
            lines.add(new Line(number, customId, body, model, tokens(body, endpoint, estimators.apply(model))));
        }
        if (lines.isEmpty() && errors.isEmpty()) {
            errors.add(new LineError("empty_file", "The input file has no requests.", null, null));
        } else if (lines.size() > MAX_LINES) {
            errors.add(new LineError("too_many_requests", "The input file has " + lines.size()
                    + " requests; a batch takes at most " + MAX_LINES + ".", null, null));
        }
        return new Parsed(List.copyOf(lines), List.copyOf(errors));
    }

    private static LineError check(JsonNode line, int number, String endpoint, Map<String, Integer> seen) {
        JsonNode customId = line.get("custom_id");
        if (customId == null || !customId.isTextual() || customId.asText().isEmpty()) {
            return new LineError("invalid_request", "Line " + number + " needs a string 'custom_id'.", "custom_id",
                    number);
        }
        Integer first = seen.get(customId.asText());
        if (first != null) {
            return new LineError("duplicate_custom_id", "The custom_id '" + customId.asText() + "' of line " + number
                    + " is already used on line " + first + "; every request needs its own.", "custom_id", number);
        }
        if (!"POST".equals(line.path("method").asText(null))) {
            return new LineError("invalid_request", "The method of line " + number + " must be 'POST', was "
                    + line.get("method") + ".", "method", number);
        }
        if (!endpoint.equals(line.path("url").asText(null))) {
            return new LineError("mismatched_endpoint", "The url " + line.get("url") + " of line " + number
                    + " does not match the batch's endpoint '" + endpoint + "'.", "url", number);
        }
        JsonNode body = line.get("body");
        if (body == null || !body.isObject()) {
            return new LineError("invalid_request", "Line " + number + " needs a JSON object 'body'.", "body", number);
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return new LineError("invalid_request", "The body of line " + number + " must name a 'model'.",
                    "body.model", number);
        }
        return null;
    }

    /** The tokens a line holds while its batch is open: the prompt plus {@code max_tokens} (chat) or the inputs. */
    static long tokens(JsonNode body, String endpoint, TokenEstimator estimator) {
        if (EMBEDDINGS.equals(endpoint)) {
            List<String> inputs = MockEmbeddings.inputs(body.get("input"));
            long tokens = 0;
            if (inputs != null) {
                for (String input : inputs) {
                    tokens += estimator.countText(input);
                }
            }
            return tokens;
        }
        JsonNode maxTokens = body.get("max_completion_tokens");
        if (maxTokens == null || maxTokens.isNull()) {
            maxTokens = body.get("max_tokens");
        }
        long completion = maxTokens != null && maxTokens.canConvertToLong() ? Math.max(0, maxTokens.asLong()) : 0;
        return estimator.estimatePrompt(body) + completion;
    }
}
