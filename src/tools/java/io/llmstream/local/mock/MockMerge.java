package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.time.Instant;
import java.util.Random;

/**
 * Merged requests, as llmstream's {@code merge} sends them: when {@code response_format} asks for JSON and
 * the last user message is {@code {"prompts": [{"index": i, "prompt": "..."}, ...]}}, the answer is
 * {@code {"answers": [{"index": i, "answer": "<the usual answer to that prompt>"}, ...]}}, so every answer
 * can still be traced to its prompt ({@link MockAnswers}). Cut at {@code max_tokens} and streamed like any
 * answer.
 *
 * <p>For tests of what a client does with a bad merged reply: {@code --merge-drop-rate X} leaves one
 * answer (drawn at random) out of that share of merged replies, and markers in a prompt's text change its
 * own entry: {@value #OMIT} leaves it out, {@value #TWICE} answers it twice (the second time differently),
 * {@value #UNKNOWN_INDEX} answers it under an index no prompt has, and {@value #NOT_JSON} makes the whole
 * reply plain text. Markers only act in merged requests: the same prompt sent alone gets its usual answer.
 */
final class MockMerge {
    static final String OMIT = "[[merge:omit]]";
    static final String TWICE = "[[merge:twice]]";
    static final String UNKNOWN_INDEX = "[[merge:unknown-index]]";
    static final String NOT_JSON = "[[merge:not-json]]";
    /** The whole reply under {@value #NOT_JSON}. */
    static final String NOT_JSON_REPLY = "Here are your answers, one by one.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final double dropRate;
    private final Random random;

    MockMerge(MockOptions options) {
        this.dropRate = options.mergeDropRate();
        this.random = new Random(options.seed() ^ 0x6d65726765L);
    }

    /** The prompts of a merged request; null if the request is not one. */
    static JsonNode prompts(JsonNode body, String lastUserText) {
        String format = body.path("response_format").path("type").asText("");
        if (!format.equals("json_object") && !format.equals("json_schema")) {
            return null;
        }
        if (lastUserText == null || !lastUserText.trim().startsWith("{")) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(lastUserText);
        } catch (JsonProcessingException e) {
            return null;
        }
        JsonNode prompts = root == null ? null : root.get("prompts");
        if (prompts == null || !prompts.isArray()) {
            return null;
        }
        for (JsonNode entry : prompts) {
            if (!entry.path("index").isIntegralNumber() || !entry.path("prompt").isTextual()) {
                return null;
            }
        }
        return prompts;
    }

    /** The reply to a merged request, cut at its {@code max_tokens} like any answer. */
    MockCompletion completion(TokenEstimator estimator, String id, String model, JsonNode body, JsonNode prompts) {
        int promptTokens = estimator.estimatePrompt(body);
        Integer maxTokens = MockChat.maxTokens(body);
        String full = content(prompts);
        String content = maxTokens == null ? full : estimator.truncate(full, maxTokens);
        String finishReason = content.length() < full.length() ? "length" : "stop";
        return new MockCompletion(id, Instant.now().getEpochSecond(), model, content, finishReason, promptTokens,
                estimator.countText(content), maxTokens);
    }

    /** The content of the reply: the answers as JSON, or plain text under {@value #NOT_JSON}. */
    String content(JsonNode prompts) {
        for (JsonNode entry : prompts) {
            if (entry.path("prompt").asText().contains(NOT_JSON)) {
                return NOT_JSON_REPLY;
            }
        }
        int dropped = -1;
        if (dropRate > 0 && !prompts.isEmpty()) {
            synchronized (random) {
                if (random.nextDouble() < dropRate) {
                    dropped = random.nextInt(prompts.size());
                }
            }
        }
        ObjectNode reply = JSON.createObjectNode();
        ArrayNode answers = reply.putArray("answers");
        for (int i = 0; i < prompts.size(); i++) {
            JsonNode entry = prompts.get(i);
            String text = entry.path("prompt").asText();
            long index = entry.path("index").asLong();
            if (i == dropped || text.contains(OMIT)) {
                continue;
            }
            if (text.contains(UNKNOWN_INDEX)) {
                index += prompts.size() + 1000;
            }
            answers.addObject().put("index", index).put("answer", MockAnswers.contentFor(text));
            if (text.contains(TWICE)) {
                answers.addObject().put("index", index).put("answer", MockAnswers.contentFor(text + " (again)"));
            }
        }
        return reply.toString();
    }
}
