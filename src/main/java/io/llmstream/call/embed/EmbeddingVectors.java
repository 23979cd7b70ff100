package io.llmstream.call.embed;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The vectors of an embeddings answer by their {@code index}, each kept as the raw JSON it came in (an
 * array of floats, or a base64 string), so no float is parsed and printed again. An index that came more
 * than once is not trusted: it counts as missing, and its input is asked again rather than given a vector
 * that may be another's.
 */
public final class EmbeddingVectors {
    private final Map<Integer, String> byIndex = new HashMap<>();
    private final Set<Integer> repeated = new HashSet<>();

    /**
     * Reads an answer's {@code data} array; returns null, with the reason in {@code problem[0]}, when the
     * array or one of its items is not what the embeddings API returns.
     */
    public static EmbeddingVectors read(JsonNode data, String[] problem) {
        if (data == null || !data.isArray()) {
            problem[0] = "the body has no data array";
            return null;
        }
        EmbeddingVectors vectors = new EmbeddingVectors();
        for (int i = 0; i < data.size(); i++) {
            JsonNode item = data.get(i);
            JsonNode index = item.get("index");
            JsonNode embedding = item.get("embedding");
            if (index == null || !index.canConvertToInt() || !index.isIntegralNumber() || index.asInt() < 0) {
                problem[0] = "data[" + i + "] has no index";
                return null;
            }
            if (embedding == null || !(embedding.isArray() || (embedding.isTextual() && !embedding.asText().isEmpty()))) {
                problem[0] = "data[" + i + "] has no embedding";
                return null;
            }
            int at = index.asInt();
            if (vectors.byIndex.putIfAbsent(at, embedding.toString()) != null) {
                vectors.repeated.add(at);
            }
        }
        vectors.repeated.forEach(vectors.byIndex::remove);
        return vectors;
    }

    /** The vector of the input at {@code index} as raw JSON; null if the answer had none, or several. */
    public String vector(int index) {
        return byIndex.get(index);
    }

    /** How many inputs have a vector. */
    int size() {
        return byIndex.size();
    }
}
