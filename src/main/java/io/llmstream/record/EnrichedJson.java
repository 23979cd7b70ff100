package io.llmstream.record;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.llmstream.config.FieldPath;
import io.llmstream.config.RecordsSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record {@code records.output: enrich} writes: the input record's own text, byte for byte, with the
 * answer added at {@code records.field} (and the call's facts at {@code records.meta-field}, if set). The
 * new fields are spliced in before the closing brace of the deepest object of their path that exists,
 * creating the rest of the path, so every field of the input keeps its order, spacing and number spelling.
 * The facts also travel as Kafka headers ({@link #headers}), where they cannot clash with the record's
 * fields. The parse stage made sure the paths are free.
 */
public final class EnrichedJson {
    /** The prefix of the headers an enriched record carries. */
    public static final String HEADER_PREFIX = "llmstream.";

    private static final JsonFactory FACTORY = new JsonFactory();
    /** Reads JSON answers keeping numbers as written ({@code 4.50} stays {@code 4.50}). */
    private static final ObjectMapper ANSWERS = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private EnrichedJson() {}

    /** The enriched record's value. */
    public static byte[] value(Completion completion, RecordsSettings records) {
        String input = completion.input();
        List<Insertion> insertions = new ArrayList<>();
        insertions.add(locate(input, records.field(), answer(completion, records)));
        if (records.metaField() != null) {
            insertions.add(locate(input, records.metaField(), facts(completion)));
        }
        // From the end backwards, so the offsets found in the input stay right; the answer before the facts where
        // both go into the same object.
        insertions.sort(Comparator.comparingInt(Insertion::offset).reversed());
        StringBuilder out = new StringBuilder(input);
        for (int i = 0; i < insertions.size(); i++) {
            Insertion insertion = insertions.get(i);
            StringBuilder members = new StringBuilder(insertion.member());
            while (i + 1 < insertions.size() && insertions.get(i + 1).offset() == insertion.offset()) {
                members.append(',').append(insertions.get(++i).member());
            }
            out.insert(insertion.offset(), (insertion.afterMembers() ? "," : "") + members);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The answer as the output holds it: its text, or with {@code answer: json} the JSON it is; an embedding
     * model's vector as the array (or base64 string) it came as.
     */
    static JsonNode answer(Completion completion, RecordsSettings records) {
        if (completion.isEmbedding()) {
            try {
                return ANSWERS.readTree(completion.embedding());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("an embedding is not JSON: " + e.getOriginalMessage(), e);
            }
        }
        String content = completion.content();
        if (content == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (!records.jsonAnswers()) {
            return TextNode.valueOf(content);
        }
        try {
            return ANSWERS.readTree(content);
        } catch (JsonProcessingException e) {
            // The call stage let only JSON answers through.
            throw new IllegalStateException("a checked answer is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The call's facts, as {@code records.meta-field} holds them. */
    static ObjectNode facts(Completion completion) {
        ObjectNode facts = JsonNodeFactory.instance.objectNode().put("id", completion.id())
                .put("model", completion.model())
                .put("finish_reason", completion.finishReason());
        facts.putObject("usage")
                .put("prompt_tokens", completion.promptTokens())
                .put("completion_tokens", completion.completionTokens())
                .put("total_tokens", completion.totalTokens());
        facts.put("attempts", completion.attempts())
                .put("latency_ms", completion.latencyMs())
                .put("wait_ms", completion.waitMs());
        if (completion.fallbackFrom() != null) {
            facts.put("fallback_from", completion.fallbackFrom()).put("fallback_reason", completion.fallbackReason());
        }
        if (completion.batchId() != null) {
            facts.put("lane", "batch").put("batch_id", completion.batchId());
        }
        if (completion.tenant() != null) {
            facts.put("tenant", completion.tenant());
        }
        return facts;
    }

    /** The call's facts as headers ({@code llmstream.model}, ...), in order; absent values left out. */
    public static Map<String, String> headers(Completion completion) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HEADER_PREFIX + "model", completion.model());
        if (completion.finishReason() != null) {
            headers.put(HEADER_PREFIX + "finish.reason", completion.finishReason());
        }
        headers.put(HEADER_PREFIX + "prompt.tokens", String.valueOf(completion.promptTokens()));
        headers.put(HEADER_PREFIX + "completion.tokens", String.valueOf(completion.completionTokens()));
        headers.put(HEADER_PREFIX + "total.tokens", String.valueOf(completion.totalTokens()));
        headers.put(HEADER_PREFIX + "attempts", String.valueOf(completion.attempts()));
        headers.put(HEADER_PREFIX + "latency.ms", String.valueOf(completion.latencyMs()));
        headers.put(HEADER_PREFIX + "wait.ms", String.valueOf(completion.waitMs()));
        if (completion.fallbackFrom() != null) {
            headers.put(HEADER_PREFIX + "fallback.from", completion.fallbackFrom());
            headers.put(HEADER_PREFIX + "fallback.reason", completion.fallbackReason());
        }
        if (completion.batchId() != null) {
            headers.put(HEADER_PREFIX + "lane", "batch");
            headers.put(HEADER_PREFIX + "batch.id", completion.batchId());
        }
        if (completion.tenant() != null) {
            headers.put(HEADER_PREFIX + "tenant", completion.tenant());
        }
        return headers;
    }

    /** The bytes of the headers' names and values, as they count towards a record's size. */
    public static long headerBytes(Map<String, String> headers) {
        long bytes = 0;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            bytes += header.getKey().getBytes(StandardCharsets.UTF_8).length
                    + header.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    /**
     * A member to insert before the closing brace at a character offset of the input, after other members
     * of its object or as the first.
     */
    private record Insertion(int offset, boolean afterMembers, String member) {}

    /**
     * Where {@code value} goes: before the closing brace of the deepest object of the path that the record
     * has, as the rest of the path with the value at its end.
     */
    private static Insertion locate(String input, FieldPath path, JsonNode value) {
        List<String> segments = path.segments();
        try (JsonParser parser = FACTORY.createParser(input)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("an enriched input is not a JSON object");
            }
            int level = 0;
            boolean empty = true;
            while (true) {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.END_OBJECT) {
                    int offset = (int) parser.currentTokenLocation().getCharOffset();
                    return new Insertion(offset, !empty, nested(segments.subList(level, segments.size()), value));
                }
                empty = false;
                String name = parser.currentName();
                JsonToken next = parser.nextToken();
                if (level < segments.size() - 1 && name.equals(segments.get(level)) && next == JsonToken.START_OBJECT) {
                    level++;
                    empty = true;
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("an enriched input was parsed before and is JSON", e);
        }
    }

    /** {@code "a":{"b":value}} for the path a.b. */
    private static String nested(List<String> segments, JsonNode value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            out.append(TextNode.valueOf(segments.get(i))).append(':');
            if (i < segments.size() - 1) {
                out.append('{');
            }
        }
        out.append(value.toString());
        out.append("}".repeat(segments.size() - 1));
        return out.toString();
    }
}
