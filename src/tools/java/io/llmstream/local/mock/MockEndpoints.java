package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The smaller endpoints: {@code POST /v1/embeddings}, {@code GET /v1/models[/ID]} and the control
 * endpoints {@code GET /mock/stats} and {@code POST /mock/reset}.
 */
final class MockEndpoints {

    /** The {@code created} of every listed model: fixed, so listings are identical across runs. */
    private static final long MODELS_CREATED = 1_700_000_000L;

    private final MockRuntime rt;

    MockEndpoints(MockRuntime rt) {
        this.rt = rt;
    }

    /**
     * Embeddings of a string or an array of strings (token arrays are hashed as their JSON), charged
     * to the limits as their tokens, with OpenAI's {@code dimensions} and {@code encoding_format}.
     */
    void embeddings(MockExchange ex, String keyFingerprint, JsonNode body) {
        double baseLatencyMs = rt.latency.nextBaseMs();
        if (!body.isObject() || !body.path("model").isTextual() || body.path("model").asText().isBlank()) {
            ex.error(MockErrors.invalidRequest("you must provide a model parameter", "model"));
            return;
        }
        String model = body.get("model").asText();
        List<String> inputs = inputs(body.get("input"));
        if (inputs == null) {
            ex.error(MockErrors.invalidRequest("'input' must be a non-empty string or a non-empty array of strings"
                    + " or token arrays", "input"));
            return;
        }
        int dims = rt.options.embeddingDims();
        JsonNode dimensions = body.get("dimensions");
        if (dimensions != null && !dimensions.isNull()) {
            if (!dimensions.canConvertToInt() || !dimensions.isIntegralNumber() || dimensions.asInt() < 1
                    || dimensions.asInt() > MockOptions.MAX_EMBEDDING_DIMS) {
                ex.error(MockErrors.invalidRequest("'dimensions' must be an integer between 1 and "
                        + MockOptions.MAX_EMBEDDING_DIMS + ", was " + dimensions, "dimensions"));
                return;
            }
            dims = dimensions.asInt();
        }
        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            ex.error(MockErrors.invalidRequest("'encoding_format' must be float or base64, was '" + format + "'",
                    "encoding_format"));
            return;
        }
        if (!rt.servesModel(model)) {
            ex.error(MockErrors.modelNotFound(model));
            return;
        }
        MockCounters.KeyModelCounters counters = rt.counters.keyModel(keyFingerprint, model);
        counters.request();
        TokenEstimator estimator = rt.estimatorFor(model);
        long tokens = 0;
        for (String input : inputs) {
            tokens += estimator.countText(input);
        }
        MockRateLimiter.Decision decision = rt.limiter.acquire(keyFingerprint, model, tokens);
        if (!decision.admitted()) {
            counters.rateLimited();
            rt.counters.rateLimited();
            ex.error(decision.error(rt.options.limitHeaders()));
            return;
        }
        counters.admitted(tokens);
        ObjectNode root = ex.json().createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] vector = MockAnswers.embeddingFor(inputs.get(i), dims);
            if (format.equals("base64")) {
                ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : vector) {
                    bytes.putFloat(v);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vector) {
                    values.add(v);
                }
            }
        }
        root.put("model", model);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        long promptTokens = tokens;
        ex.later(rt.latency.delayNanos(baseLatencyMs, 0), () -> {
            if (ex.isOpen()) {
                rt.counters.tokens(promptTokens, 0);
                ex.json(200, root, decision.headers(rt.options.limitHeaders()));
            }
        });
    }

    /** The inputs as texts, or null when the field is missing, empty or of the wrong shape. */
    private static List<String> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            return null;
        }
        if (input.isTextual()) {
            return List.of(input.asText());
        }
        if (!input.isArray() || input.isEmpty()) {
            return null;
        }
        if (input.get(0).isIntegralNumber()) {
            return List.of(input.toString());
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode item : input) {
            if (item.isTextual()) {
                texts.add(item.asText());
            } else if (item.isArray()) {
                texts.add(item.toString());
            } else {
                return null;
            }
        }
        return texts;
    }

    void models(MockExchange ex) {
        ObjectNode root = ex.json().createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String model : rt.listedModels()) {
            data.add(modelObject(ex, model));
        }
        ex.json(200, root, Map.of());
    }

    void model(MockExchange ex, String id) {
        if (!rt.servesModel(id)) {
            ex.error(MockErrors.modelNotFound(id));
            return;
        }
        ex.json(200, modelObject(ex, id), Map.of());
    }

    private static ObjectNode modelObject(MockExchange ex, String id) {
        ObjectNode model = ex.json().createObjectNode();
        model.put("id", id);
        model.put("object", "model");
        model.put("created", MODELS_CREATED);
        model.put("owned_by", "mock-llm");
        return model;
    }

    void stats(MockExchange ex) {
        ex.json(200, ex.json().valueToTree(rt.counters.snapshot()), Map.of());
    }

    void reset(MockExchange ex) {
        rt.counters.clear();
        ObjectNode root = ex.json().createObjectNode();
        root.put("reset", true);
        ex.json(200, root, Map.of());
    }
}
