package io.llmstream.call.http;

import io.llmstream.call.ChatAnswer;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.limit.ProviderLimits;
import io.llmstream.record.ErrorKind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts a streamed chat completion back together from its {@code chat.completion.chunk} events: the
 * content deltas, tool calls assembled by index (their arguments arrive in pieces), the finish reason and
 * the usage of the last chunk ({@code stream_options.include_usage}). The stream is complete at
 * {@code [DONE]}; a server that closes the body cleanly after a finish reason without {@code [DONE]} is
 * accepted too. An {@code error} event or a chunk that is not JSON ends it as a failure.
 *
 * <p>Each chunk is read straight from its bytes, taking only the fields above and skipping the rest: a
 * stream has an event per token or two, so a tree per event would be most of the cost of reading an answer.
 * The common chunk is read by a {@link ChunkScanner}; what it declines (tool calls, errors, broken JSON)
 * by Jackson's streaming parser.
 */
final class StreamedAnswer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final StringBuilder content = new StringBuilder();
    /** Null when every chunk is read by the general parser (for comparing the two in tests). */
    private final ChunkScanner scanner;
    /** Tool calls by index, when the answer has any. */
    private Map<Integer, ObjectNode> toolCalls;
    private boolean hasContent;
    private String finishReason;
    private int promptTokens = -1;
    private int completionTokens = -1;
    private int totalTokens = -1;
    private boolean done;
    private int events;
    private AttemptOutcome failure;

    StreamedAnswer() {
        this(true);
    }

    private StreamedAnswer(boolean scan) {
        this.scanner = scan ? new ChunkScanner() : null;
    }

    /** An answer that reads every chunk with Jackson's parser, the reference for the scanner. */
    static StreamedAnswer parsingEveryChunk() {
        return new StreamedAnswer(false);
    }

    /** As {@link #accept(byte[], int, int)}, for data given as text. */
    boolean accept(String data) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        return accept(bytes, 0, bytes.length);
    }

    /** Takes the data of one event; returns false once the stream is over (done or failed). */
    boolean accept(byte[] data, int offset, int length) {
        if (done || failure != null) {
            return false;
        }
        events++;
        if (isDone(data, offset, length)) {
            done = true;
            return false;
        }
        int contentBefore = content.length();
        if (scanner != null && scanner.scan(data, offset, length, content)) {
            takeScanned();
            return true;
        }
        content.setLength(contentBefore);
        return acceptParsed(data, offset, length);
    }

    private void takeScanned() {
        hasContent |= scanner.hasContent();
        if (scanner.finishReason() != null) {
            finishReason = scanner.finishReason();
        }
        if (scanner.usageSeen()) {
            promptTokens = scanner.promptTokens();
            completionTokens = scanner.completionTokens();
            totalTokens = scanner.totalTokens();
        }
    }

    /** The general way, for what the scanner declines: tool calls, errors, broken JSON. */
    private boolean acceptParsed(byte[] data, int offset, int length) {
        try (JsonParser parser = JSON.createParser(data, offset, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                failure = malformed("event " + events + " of the stream is not a JSON object", data, offset, length);
                return false;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "choices" -> readChoices(parser, value);
                    case "usage" -> readUsage(parser, value);
                    case "error" -> {
                        if (value == JsonToken.START_OBJECT) {
                            failure = streamError(parser.readValueAsTree());
                            return false;
                        }
                        parser.skipChildren();
                    }
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            failure = malformed("event " + events + " of the stream is not JSON", data, offset, length);
            return false;
        }
        return true;
    }

    /** Whether the data is {@code [DONE]}, blanks around it allowed. */
    private static boolean isDone(byte[] data, int offset, int length) {
        int start = offset;
        int end = offset + length;
        while (start < end && data[start] <= ' ') {
            start++;
        }
        while (end > start && data[end - 1] <= ' ') {
            end--;
        }
        return Arrays.equals(data, start, end, DONE, 0, DONE.length);
    }

    private void readChoices(JsonParser parser, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            parser.skipChildren();
            return;
        }
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            readChoice(parser);
        }
    }

    /** One choice; only the first (index 0) counts, whatever order its fields come in. */
    private void readChoice(JsonParser parser) throws IOException {
        int index = 0;
        int contentStart = content.length();
        boolean choiceHasContent = false;
        String choiceFinish = null;
        JsonNode calls = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "index" -> index = value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_STRING
                        ? parser.getValueAsInt(0) : index;
                case "finish_reason" -> choiceFinish = value == JsonToken.VALUE_STRING ? parser.getText() : choiceFinish;
                case "delta" -> {
                    if (value != JsonToken.START_OBJECT) {
                        parser.skipChildren();
                        break;
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String deltaField = parser.currentName();
                        JsonToken deltaValue = parser.nextToken();
                        if (deltaField.equals("content") && deltaValue == JsonToken.VALUE_STRING) {
                            content.append(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
                            choiceHasContent = true;
                        } else if (deltaField.equals("tool_calls") && deltaValue == JsonToken.START_ARRAY) {
                            calls = parser.readValueAsTree();
                        } else {
                            parser.skipChildren();
                        }
                    }
                }
                default -> parser.skipChildren();
            }
        }
        if (index != 0) {
            content.setLength(contentStart);
            return;
        }
        hasContent |= choiceHasContent;
        if (choiceFinish != null) {
            finishReason = choiceFinish;
        }
        if (calls != null) {
            for (JsonNode call : calls) {
                addToolCall(call);
            }
        }
    }

    private void readUsage(JsonParser parser, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        int prompt = ChunkScanner.NO_COUNT;
        int completion = ChunkScanner.NO_COUNT;
        int total = ChunkScanner.NO_TOTAL;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            boolean number = token == JsonToken.VALUE_NUMBER_INT;
            switch (field) {
                case "prompt_tokens" -> prompt = number ? parser.getIntValue() : ChunkScanner.NO_COUNT;
                case "completion_tokens" -> completion = number ? parser.getIntValue() : ChunkScanner.NO_COUNT;
                case "total_tokens" -> total = number ? parser.getIntValue() : ChunkScanner.NO_TOTAL;
                default -> parser.skipChildren();
            }
        }
        promptTokens = prompt;
        completionTokens = completion;
        totalTokens = ChunkScanner.total(prompt, completion, total);
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
                finishReason, toolCallsJson, promptTokens, completionTokens, totalTokens), ProviderLimits.NONE);
    }

    private void addToolCall(JsonNode delta) {
        if (toolCalls == null) {
            toolCalls = new TreeMap<>();
        }
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
        if (toolCalls == null || toolCalls.isEmpty()) {
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

    /** An error the server sent inside the stream, classified as the HTTP error it stands for. */
    private static AttemptOutcome streamError(JsonNode error) {
        return ProviderError.insideAnswer(error, "in the stream");
    }

    private static AttemptOutcome malformed(String what, byte[] data, int offset, int length) {
        return AttemptOutcome.failure(ErrorKind.MALFORMED_RESPONSE, 200, null,
                what + "; it starts with: " + ResponseClassifier.excerpt(Arrays.copyOfRange(data, offset,
                        offset + Math.min(length, ResponseClassifier.BODY_EXCERPT_CHARS * 4))), true, null);
    }
}
