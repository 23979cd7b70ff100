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
 * The smaller endpoints: {@code GET /v1/models[/ID]} and the control
 * endpoints {@code GET /mock/stats} and {@code POST /mock/reset}.
 */
final class MockEndpoints {

    /** The {@code created} of every listed model: fixed, so listings are identical across runs. */
    private static final long MODELS_CREATED = 1_700_000_000L;

    private final MockRuntime rt;

    MockEndpoints(MockRuntime rt) {
        this.rt = rt;
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
        ex.json(200, ex.json().valueToTree(rt.stats()), Map.of());
    }

    void reset(MockExchange ex) {
        rt.counters.clear();
        ObjectNode root = ex.json().createObjectNode();
        root.put("reset", true);
        ex.json(200, root, Map.of());
    }
}
