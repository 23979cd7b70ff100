package io.llmstream.local.mock;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a valid chat request gets: its token counts and its possibly cut answer, and that answer in
 * OpenAI's JSON, whole ({@code chat.completion}) or in pieces ({@code chat.completion.chunk}). Built
 * once per request, so a streamed and an unstreamed answer to the same prompt carry the same content
 * and the same usage.
 *
 * @param maxTokens {@code max_completion_tokens} or {@code max_tokens}, null when neither was given
 */
record MockCompletion(String id, long created, String model, String content, String finishReason,
                      int promptTokens, int completionTokens, Integer maxTokens) {

    private static final String FINGERPRINT = "fp_mock";


    /**
     * The answer to a request: the usual completion, or a {@code long(chars=N)} one when
     * {@code longChars} is set, cut at {@code max_tokens}.
     */
    static MockCompletion of(TokenEstimator estimator, String id, String model, JsonNode body, String text,
                             Long longChars) {
        return of(estimator, id, model, body, text, longChars, MockJsonAnswers.Shape.VALID);
    }

    /** As above; a request for JSON ({@code response_format}) gets JSON of the given shape. */
    static MockCompletion of(TokenEstimator estimator, String id, String model, JsonNode body, String text,
                             Long longChars, MockJsonAnswers.Shape jsonShape) {
        int promptTokens = estimator.estimatePrompt(body);
        Integer maxTokens = MockChat.maxTokens(body);
        String full;
        int fullTokens;
        String json = longChars == null ? MockJsonAnswers.contentFor(body, text, jsonShape) : null;
        if (json != null) {
            full = json;
            fullTokens = -1;
        } else if (longChars == null) {
            full = MockAnswers.contentFor(text);
            fullTokens = -1;
        } else {
            full = MockAnswers.longContentFor(text, Math.toIntExact(longChars));
            fullTokens = longTokens(estimator, text, full.length());
        }
        String content = full;
        if (maxTokens != null && (fullTokens < 0 || maxTokens < fullTokens)) {
            content = estimator.truncate(full, maxTokens);
        }
        int completionTokens = content.equals(full) && fullTokens >= 0 ? fullTokens : estimator.countText(content);
        String finishReason = content.length() < full.length() ? "length" : "stop";
        return new MockCompletion(id, Instant.now().getEpochSecond(), model, content, finishReason, promptTokens,
                completionTokens, maxTokens);
    }

    /**
     * The tokens of a long answer, estimated without tokenizing megabytes: the usual completion, then
     * the filler counted once and multiplied. Close to the real count, and the same for a streamed and
     * an unstreamed answer.
     */
    static int longTokens(TokenEstimator estimator, String text, int chars) {
        String head = MockAnswers.contentFor(text);
        if (chars <= head.length()) {
            return estimator.countText(MockAnswers.longContentFor(text, chars));
        }
        int filler = chars - head.length();
        int units = filler / MockAnswers.FILLER.length();
        String rest = MockAnswers.FILLER.substring(0, filler % MockAnswers.FILLER.length());
        return estimator.countText(head) + units * estimator.countText(MockAnswers.FILLER)
                + estimator.countText(rest);
    }

    /** Tokens charged to the limits at admission: the prompt and {@code max_tokens}, or the completion without it. */
    long chargedTokens() {
        return promptTokens + (long) (maxTokens != null ? maxTokens : completionTokens);
    }

    /** The unstreamed answer. */
    ObjectNode body(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.put("id", id);
        root.put("object", "chat.completion");
        root.put("created", created);
        root.put("model", model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", content);
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        usage(root.putObject("usage"));
        root.put("system_fingerprint", FINGERPRINT);
        return root;
    }

    /** The first chunk of a stream: the role and empty content. */
    ObjectNode roleChunk(ObjectMapper json, boolean includeUsage) {
        ObjectNode delta = json.createObjectNode().put("role", "assistant").put("content", "");
        return chunk(json, delta, null, includeUsage);
    }

    /** A chunk that carries one piece of the content. */
    ObjectNode contentChunk(ObjectMapper json, String piece, boolean includeUsage) {
        return chunk(json, json.createObjectNode().put("content", piece), null, includeUsage);
    }

    /**
     * The chunks of a stream as bytes, each byte for byte the tree of {@link #roleChunk}, {@link #contentChunk},
     * {@link #finishChunk} or {@link #usageChunk} written out, from templates: a stream has a chunk per piece,
     * and building and writing a tree for each made the mock's streams cost more than the client's.
     */
    final class ChunkBytes {
        private static final byte[] CONTENT_START = ascii("{\"content\":\"");
        private static final byte[] CONTENT_END = ascii("\"}");
        private static final byte[] NOTHING = new byte[0];
        private final byte[] head;
        /** What follows the delta when the chunk has no finish reason. */
        private final byte[] openTail;
        private final boolean includeUsage;
        private final byte[] before;
        private final byte[] after;

        ChunkBytes(boolean includeUsage) {
            this(includeUsage, NOTHING, NOTHING);
        }

        /** Each chunk between {@code before} and {@code after}: an event's framing, written with it at once. */
        ChunkBytes(boolean includeUsage, byte[] before, byte[] after) {
            this.includeUsage = includeUsage;
            this.before = before;
            this.after = after;
            JsonStringEncoder quote = JsonStringEncoder.getInstance();
            this.head = ("{\"id\":\"" + new String(quote.quoteAsString(id)) + "\",\"object\":\"chat.completion.chunk\","
                    + "\"created\":" + created + ",\"model\":\"" + new String(quote.quoteAsString(model))
                    + "\",\"system_fingerprint\":\"" + FINGERPRINT + "\",\"choices\":[{\"index\":0,\"delta\":")
                    .getBytes(StandardCharsets.UTF_8);
            this.openTail = tail(null);
        }

        byte[] role() {
            return concat(before, head, ascii("{\"role\":\"assistant\",\"content\":\"\"}"), openTail, after);
        }

        byte[] content(String piece) {
            return concat(before, head, CONTENT_START, JsonStringEncoder.getInstance().quoteAsUTF8(piece), CONTENT_END,
                    openTail, after);
        }

        byte[] finish() {
            return concat(before, head, ascii("{}"), tail(finishReason), after);
        }

        byte[] usage() {
            JsonStringEncoder quote = JsonStringEncoder.getInstance();
            return concat(before, ("{\"id\":\"" + new String(quote.quoteAsString(id)) + "\",\"object\":\"chat.completion.chunk\","
                    + "\"created\":" + created + ",\"model\":\"" + new String(quote.quoteAsString(model))
                    + "\",\"system_fingerprint\":\"" + FINGERPRINT + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
                    + promptTokens + ",\"completion_tokens\":" + completionTokens + ",\"total_tokens\":"
                    + (promptTokens + completionTokens) + "}}").getBytes(StandardCharsets.UTF_8), after);
        }

        private byte[] tail(String finish) {
            String finishJson = finish == null ? "null"
                    : "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(finish)) + "\"";
            return (",\"logprobs\":null,\"finish_reason\":" + finishJson + "}]" + (includeUsage ? ",\"usage\":null}" : "}"))
                    .getBytes(StandardCharsets.UTF_8);
        }

        private static byte[] concat(byte[]... parts) {
            int length = 0;
            for (byte[] part : parts) {
                length += part.length;
            }
            byte[] joined = new byte[length];
            int at = 0;
            for (byte[] part : parts) {
                System.arraycopy(part, 0, joined, at, part.length);
                at += part.length;
            }
            return joined;
        }

        private static byte[] ascii(String text) {
            return text.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The chunk that ends the choice: an empty delta and the finish reason. */
    ObjectNode finishChunk(ObjectMapper json, boolean includeUsage) {
        return chunk(json, json.createObjectNode(), finishReason, includeUsage);
    }

    /** The extra chunk of {@code stream_options.include_usage}: no choices, the usage of the whole answer. */
    ObjectNode usageChunk(ObjectMapper json) {
        ObjectNode root = chunkHead(json);
        root.putArray("choices");
        usage(root.putObject("usage"));
        return root;
    }

    /**
     * The content in {@code count} pieces of about equal length, cut between characters, never inside
     * one; their concatenation is the content. Pieces are empty only when there are more pieces than
     * characters.
     */
    List<String> pieces(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, was " + count);
        }
        int codePoints = content.codePointCount(0, content.length());
        List<String> pieces = new ArrayList<>(count);
        int start = 0;
        int startPoint = 0;
        for (int i = 1; i <= count; i++) {
            int endPoint = (int) ((long) codePoints * i / count);
            int end = content.offsetByCodePoints(start, endPoint - startPoint);
            pieces.add(content.substring(start, end));
            start = end;
            startPoint = endPoint;
        }
        return pieces;
    }

    private ObjectNode chunk(ObjectMapper json, ObjectNode delta, String finish, boolean includeUsage) {
        ObjectNode root = chunkHead(json);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    private ObjectNode chunkHead(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.put("id", id);
        root.put("object", "chat.completion.chunk");
        root.put("created", created);
        root.put("model", model);
        root.put("system_fingerprint", FINGERPRINT);
        return root;
    }

    private void usage(ObjectNode usage) {
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
    }
}
