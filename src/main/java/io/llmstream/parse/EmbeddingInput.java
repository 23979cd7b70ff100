package io.llmstream.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.ModelSettings;

/**
 * The rules of an embedding model's records: one {@code input} string instead of {@code prompt} or
 * {@code messages}; {@code dimensions}, {@code encoding_format}, {@code user} and any other field are
 * embeddings parameters passed through unchanged. Each check returns the reason a record is invalid, or
 * null; {@link PromptParser} files the reason under the record's id.
 */
final class EmbeddingInput {
    static final String INPUT = "input";

    private EmbeddingInput() {}

    /** A record for a chat model that carries {@code input}, which only embedding models take. */
    static String inputOnChatModel(JsonNode json, String model) {
        if (json.has(INPUT) && !json.has("prompt") && !json.has("messages")) {
            return "input is for embedding models; models." + model + " is a chat model: give prompt or messages,"
                    + " or name an embedding model";
        }
        return null;
    }

    /** Checks the fields of a record for an embedding model; the body left in {@code json} is what is sent. */
    static String check(ObjectNode json, String model) {
        for (String chatField : new String[] {"prompt", "messages"}) {
            if (json.has(chatField)) {
                return "models." + model + " is an embedding model: give input (a string), not " + chatField;
            }
        }
        JsonNode input = json.get(INPUT);
        if (input == null || input.isNull()) {
            return "input is required: models." + model + " is an embedding model";
        }
        if (!input.isTextual() || input.asText().isEmpty()) {
            return "input must be a non-empty string, was " + describe(input);
        }
        JsonNode dimensions = json.get("dimensions");
        if (dimensions != null && !dimensions.isNull()
                && !(dimensions.isIntegralNumber() && dimensions.canConvertToInt() && dimensions.asInt() >= 1)) {
            return "dimensions must be a positive integer, was " + describe(dimensions);
        }
        JsonNode format = json.get("encoding_format");
        if (format != null && !format.isNull()
                && !(format.isTextual() && (format.asText().equals("float") || format.asText().equals("base64")))) {
            return "encoding_format must be float or base64, was " + describe(format);
        }
        JsonNode user = json.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            return "user must be a string, was " + describe(user);
        }
        if (json.path("stream").asBoolean(false)) {
            return "stream is not an embeddings parameter";
        }
        return null;
    }

    /** An input too large to be sent: over the model's context window or over what one request may carry. */
    static String checkTokens(int tokens, ModelSettings model) {
        if (model.contextWindow() > 0 && tokens > model.contextWindow()) {
            return "the input is about " + tokens + " tokens, more than models." + model.name() + ".context-window ("
                    + model.contextWindow() + ")";
        }
        if (tokens > model.batchTokens()) {
            boolean byTpm = model.hasTpmLimit() && model.tpm() < model.batch().maxTokens();
            return "the input is about " + tokens + " tokens, more than models." + model.name()
                    + (byTpm ? ".tpm (" + model.tpm() : ".batch.max-tokens (" + model.batch().maxTokens())
                    + "), so it could never be sent";
        }
        return null;
    }

    private static String describe(JsonNode node) {
        String json = node.toString();
        return json.length() > 80 ? json.substring(0, 77) + "..." : json;
    }
}
