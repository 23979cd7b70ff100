package io.llmstream.call;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.record.ErrorKind;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts a streamed chat completion back together from its {@code chat.completion.chunk} events: the
 * content deltas, tool calls assembled by index (their arguments arrive in pieces), the finish reason and
 * the usage of the last chunk ({@code stream_options.include_usage}). The stream is complete at
 * {@code [DONE]}; a server that closes the body cleanly after a finish reason without {@code [DONE]} is
 * accepted too. An {@code error} event or a chunk that is not JSON ends it as a failure.
 */
final class StreamedAnswer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DONE = "[DONE]";

    private final StringBuilder content = new StringBuilder();
    private final Map<Integer, ObjectNode> toolCalls = new TreeMap<>();
    private boolean hasContent;
    private String finishReason;
    private int promptTokens = -1;
    private int completionTokens = -1;
    private int totalTokens = -1;
    private boolean done;
    private int events;
    private AttemptOutcome failure;

    /** Takes the data of one event; returns false once the stream is over (done or failed). */
    boolean accept(String data) {
        if (done || failure != null) {
            return false;
        }
        events++;
        if (data.trim().equals(DONE)) {
            done = true;
            return false;
        }
        JsonNode chunk;
        try {
            chunk = JSON.readTree(data);
        } catch (IOException e) {
            failure = malformed("event " + events + " of the stream is not JSON", data);
            return false;
        }
        if (chunk == null || !chunk.isObject()) {
            failure = malformed("event " + events + " of the stream is not a JSON object", data);
            return false;
        }
        if (chunk.path("error").isObject()) {
            failure = streamError(chunk.get("error"));
            return false;
        }
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.path("index").asInt(0) != 0) {
                continue;
            }
            JsonNode delta = choice.path("delta");
            JsonNode text = delta.get("content");
            if (text != null && text.isTextual()) {
                content.append(text.asText());
                hasContent = true;
            }
            for (JsonNode call : delta.path("tool_calls")) {
                addToolCall(call);
            }
            JsonNode reason = choice.get("finish_reason");
            if (reason != null && reason.isTextual()) {
                finishReason = reason.asText();
            }
        }
        JsonNode usage = chunk.get("usage");
        if (usage != null && usage.isObject()) {
            promptTokens = usage.path("prompt_tokens").asInt(-1);
            completionTokens = usage.path("completion_tokens").asInt(-1);
            totalTokens = usage.path("total_tokens").asInt(
                    promptTokens >= 0 && completionTokens >= 0 ? promptTokens + completionTokens : -1);
        }
        return true;
    }

    /** Whether any event has arrived: the first token, for the first-token timeout. */
    boolean started() {
        return events > 0;
    }

    /** The attempt's outcome once the body ended. */
    AttemptOutcome outcome() {
        if (failure != null) {
            return failure;
        }
        if (!done && finishReason == null) {
            return AttemptOutcome.failure(ErrorKind.CONNECTION, 200, null, "the stream ended after " + events
                    + " events without a finish_reason or [DONE]", true, null);
        }
        String toolCallsJson = toolCallsJson();
        if (!hasContent && toolCallsJson == null && finishReason == null) {
            return AttemptOutcome.failure(ErrorKind.MALFORMED_RESPONSE, 200, null,
                    "the stream held no choices (" + events + " events)", true, null);
        }
        return AttemptOutcome.success(new ChatAnswer(hasContent || toolCallsJson == null ? content.toString() : null,
                finishReason, toolCallsJson, promptTokens, completionTokens, totalTokens),
                io.llmstream.limit.ProviderLimits.NONE);
    }

    private void addToolCall(JsonNode delta) {
        ObjectNode call = toolCalls.computeIfAbsent(delta.path("index").asInt(toolCalls.size()),
                index -> JSON.createObjectNode());
        if (delta.path("id").isTextual()) {
            call.put("id", delta.get("id").asText());
        }
        if (delta.path("type").isTextual()) {
            call.put("type", delta.get("type").asText());
        }
        JsonNode function = delta.path("function");
        if (function.isObject()) {
            ObjectNode target = call.has("function") ? (ObjectNode) call.get("function") : call.putObject("function");
            if (function.path("name").isTextual()) {
                target.put("name", target.path("name").asText("") + function.get("name").asText());
            }
            if (function.path("arguments").isTextual()) {
                target.put("arguments", target.path("arguments").asText("") + function.get("arguments").asText());
            }
        }
    }

    private String toolCallsJson() {
        if (toolCalls.isEmpty()) {
            return null;
        }
        ArrayNode array = JSON.createArrayNode();
        for (ObjectNode call : toolCalls.values()) {
            if (!call.has("type")) {
                call.put("type", "function");
            }
            array.add(call);
        }
        return array.toString();
    }

    /** An error the server sent inside the stream: it may pass, as a server error does. */
    private static AttemptOutcome streamError(JsonNode error) {
        String code = error.hasNonNull("code") ? error.get("code").asText() : null;
        String message = error.path("message").asText("");
        return AttemptOutcome.failure(ErrorKind.SERVER_ERROR, 200, code,
                "error in the stream" + (message.isEmpty() ? "" : ": " + message), true, null);
    }

    private static AttemptOutcome malformed(String what, String data) {
        return AttemptOutcome.failure(ErrorKind.MALFORMED_RESPONSE, 200, null,
                what + "; it starts with: " + ResponseClassifier.excerpt(data.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                true, null);
    }
}
