package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/embeddings}: validation, directives, context window, rate limits, a slot, random faults
 * and latency, as for chat, then a vector per input drawn from its text ({@link MockAnswers#embeddingFor}), so
 * a test can check each input got its own. The request is charged one request and its inputs' tokens.
 *
 * <p>Directives ({@link MockDirectives}) sit in an input's text and play per request that carries that
 * input: a refusal step of any input (a status, {@code reset}, {@code hang}, {@code malformed},
 * {@code context_length_exceeded}, {@code insufficient_quota}) answers the whole request, and the other
 * inputs' steps do not play in it but in their next request; {@code no_vector}
 * leaves that input's item out of the answer and {@code dup_index} gives its item, with its own vector,
 * the index of the next input (of the one before, for the last; for a lone input its item comes twice), so
 * that index comes twice, first with the wrong vector, and its own not at all.
 */
final class MockEmbeddings {

    private final MockRuntime rt;

    MockEmbeddings(MockRuntime rt) {
        this.rt = rt;
    }

    /** A valid embeddings request: its model, its inputs as texts, the vector length and the encoding. */
    record Request(String model, List<String> inputs, int dims, String format) {}

    /** A parsed body: the request, or the error that answers an invalid one. */
    record Parsed(Request request, MockErrors.Error error) {}

    /** The inputs' directive steps, in input order, and the first refusal among them. */
    private record Steps(List<MockDirectives.Step> steps, MockDirectives.Step refusal) {}

    /** The inputs' tokens, or the error of the first input longer than the context window. */
    private record Tokens(long tokens, MockErrors.Error tooLong) {}

    void handle(MockExchange ex, String keyFingerprint, JsonNode body) {
        MockFaults.Fault fault = rt.faults.next();
        double baseLatencyMs = rt.latency.nextBaseMs();
        Parsed parsed = parse(body, rt.options.embeddingDims());
        if (parsed.error() != null) {
            ex.error(parsed.error());
            return;
        }
        Request request = parsed.request();
        String model = request.model();
        if (!rt.servesModel(model)) {
            ex.error(MockErrors.modelNotFound(model));
            return;
        }
        Steps played;
        try {
            played = steps(request.inputs());
        } catch (IllegalArgumentException e) {
            ex.error(MockErrors.invalidRequest(e.getMessage(), "input"));
            return;
        }
        MockCounters.KeyModelCounters counters = rt.counters.keyModel(keyFingerprint, model);
        counters.request();
        if (played.refusal() != null) {
            refuse(ex, played.refusal(), model);
            return;
        }
        Tokens counted = tokens(model, request.inputs());
        if (counted.tooLong() != null) {
            ex.error(counted.tooLong());
            return;
        }
        long tokens = counted.tokens();
        MockRateLimiter.Decision decision = rt.limiter.acquire(keyFingerprint, model, tokens);
        if (!decision.admitted()) {
            counters.rateLimited();
            rt.counters.rateLimited();
            ex.error(decision.error(rt.options.limitHeaders()));
            return;
        }
        counters.admitted(tokens);
        ObjectNode root = answer(rt.json, model, request.inputs(), played.steps(), request.dims(), request.format(),
                tokens);
        long delayNanos = rt.latency.delayNanos(baseLatencyMs, 0);
        Map<String, String> headers = new LinkedHashMap<>(decision.headers(rt.options.limitHeaders()));
        headers.put("openai-processing-ms", String.valueOf(delayNanos / 1_000_000));
        long promptTokens = tokens;
        ex.whenServed(rt.slots, () -> serve(ex, fault, model, root, promptTokens, delayNanos, headers));
    }

    /**
     * The answer to one line of a batch: the validation, directives, context window and vectors of the online
     * request; no rate limit, slot, latency or random fault. Refusals with a status answer the line with it,
     * {@code hang} never answers, {@code hang(ms=N)} answers N ms late, the other connection faults not at all.
     */
    MockBatchAnswer batchAnswer(JsonNode body) {
        Parsed parsed = parse(body, rt.options.embeddingDims());
        if (parsed.error() != null) {
            return MockBatchAnswer.error(parsed.error(), rt.json);
        }
        Request request = parsed.request();
        String model = request.model();
        if (!rt.servesModel(model)) {
            return MockBatchAnswer.error(MockErrors.modelNotFound(model), rt.json);
        }
        Steps played;
        try {
            played = steps(request.inputs());
        } catch (IllegalArgumentException e) {
            return MockBatchAnswer.error(MockErrors.invalidRequest(e.getMessage(), "input"), rt.json);
        }
        MockDirectives.Step refusal = played.refusal();
        if (refusal != null) {
            switch (refusal.action()) {
                case STATUS -> {
                    return MockBatchAnswer.error(MockErrors.forStatus(refusal.status(), model), rt.json);
                }
                case INSUFFICIENT_QUOTA -> {
                    return MockBatchAnswer.error(MockErrors.insufficientQuota(), rt.json);
                }
                case FLAGGED -> {
                    return MockBatchAnswer.error(MockErrors.flagged(), rt.json);
                }
                case CONTEXT_LENGTH_EXCEEDED -> {
                    return MockBatchAnswer.error(MockErrors.contextLengthExceeded(
                            Math.max(1, rt.contextWindowFor(model)), Math.max(2, rt.contextWindowFor(model) + 1L), 0),
                            rt.json);
                }
                case HANG -> {
                    return MockBatchAnswer.never();
                }
                default -> {
                    // reset, malformed, no_choices: a connection's faults, which a batch line does not meet.
                }
            }
        }
        Tokens counted = tokens(model, request.inputs());
        if (counted.tooLong() != null) {
            return MockBatchAnswer.error(counted.tooLong(), rt.json);
        }
        long delayMs = 0;
        for (MockDirectives.Step step : played.steps()) {
            if (step != null && step.action() == MockDirectives.Action.HANG && step.ms() != null) {
                delayMs = Math.max(delayMs, step.ms());
            }
        }
        ObjectNode root = answer(rt.json, model, request.inputs(), played.steps(), request.dims(), request.format(),
                counted.tokens());
        return MockBatchAnswer.ok(root, counted.tokens(), 0, delayMs);
    }

    /** The request of a body, or the 400 that answers it: model, inputs, dimensions and encoding checked. */
    static Parsed parse(JsonNode body, int defaultDims) {
        if (!body.isObject() || !body.path("model").isTextual() || body.path("model").asText().isBlank()) {
            return new Parsed(null, MockErrors.invalidRequest("you must provide a model parameter", "model"));
        }
        List<String> inputs = inputs(body.get("input"));
        if (inputs == null) {
            return new Parsed(null, MockErrors.invalidRequest("'input' must be a non-empty string or a non-empty"
                    + " array of strings or token arrays", "input"));
        }
        int dims = defaultDims;
        JsonNode dimensions = body.get("dimensions");
        if (dimensions != null && !dimensions.isNull()) {
            if (!dimensions.canConvertToInt() || !dimensions.isIntegralNumber() || dimensions.asInt() < 1
                    || dimensions.asInt() > MockOptions.MAX_EMBEDDING_DIMS) {
                return new Parsed(null, MockErrors.invalidRequest("'dimensions' must be an integer between 1 and "
                        + MockOptions.MAX_EMBEDDING_DIMS + ", was " + dimensions, "dimensions"));
            }
            dims = dimensions.asInt();
        }
        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            return new Parsed(null, MockErrors.invalidRequest("'encoding_format' must be float or base64, was '"
                    + format + "'", "encoding_format"));
        }
        return new Parsed(new Request(body.get("model").asText(), inputs, dims, format), null);
    }

    /**
     * Advances each input's script. When one input refuses, only its step plays: the others' steps are given back
     * and wait for their next request.
     *
     * @throws IllegalArgumentException when an input's directive is malformed
     */
    private Steps steps(List<String> inputs) {
        List<MockDirectives.Step> steps = new ArrayList<>(inputs.size());
        MockDirectives.Step refusal = null;
        int refusing = -1;
        for (String input : inputs) {
            MockDirectives.Step step = rt.directives.next(input).orElse(null);
            steps.add(step);
            if (refusal == null && step != null && !step.charged()) {
                refusal = step;
                refusing = steps.size() - 1;
            }
        }
        if (refusal != null) {
            for (int i = 0; i < inputs.size(); i++) {
                if (i != refusing && steps.get(i) != null) {
                    rt.directives.giveBack(inputs.get(i));
                }
            }
        }
        return new Steps(steps, refusal);
    }

    private Tokens tokens(String model, List<String> inputs) {
        TokenEstimator estimator = rt.estimatorFor(model);
        int window = rt.contextWindowFor(model);
        long tokens = 0;
        for (String input : inputs) {
            long inputTokens = estimator.countText(input);
            if (window > 0 && inputTokens > window) {
                return new Tokens(0, MockErrors.contextLengthExceeded(window, inputTokens, 0));
            }
            tokens += inputTokens;
        }
        return new Tokens(tokens, null);
    }

    /** An admitted request once it holds a slot: its latency starts now. */
    private void serve(MockExchange ex, MockFaults.Fault fault, String model, ObjectNode root, long promptTokens,
            long delayNanos, Map<String, String> headers) {
        switch (fault.kind()) {
            case ERROR -> ex.later(delayNanos, () -> ex.error(MockErrors.forStatus(fault.status(), model)));
            case RESET -> ex.later(delayNanos, ex::reset);
            case HANG -> ex.hang();
            case MALFORMED -> {
                byte[] bytes = ex.bytes(root);
                ex.later(delayNanos, () -> {
                    if (ex.isOpen()) {
                        rt.counters.malformed();
                        ex.truncated(200, bytes, bytes.length / 2, MockExchange.APPLICATION_JSON, headers);
                    }
                });
            }
            case NONE -> ex.later(delayNanos, () -> {
                if (ex.isOpen()) {
                    rt.counters.tokens(promptTokens, 0);
                    ex.json(200, root, headers);
                }
            });
        }
    }

    /** OpenAI's answer: an item per input with its index and vector, but as the inputs' steps say. */
    private static ObjectNode answer(ObjectMapper json, String model, List<String> inputs,
            List<MockDirectives.Step> steps, int dims, String format, long tokens) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            MockDirectives.Action action = steps.get(i) == null ? MockDirectives.Action.OK : steps.get(i).action();
            if (action == MockDirectives.Action.NO_VECTOR) {
                continue;
            }
            boolean dup = action == MockDirectives.Action.DUP_INDEX;
            int index = !dup ? i : i + 1 < inputs.size() ? i + 1 : Math.max(0, i - 1);
            float[] vector = MockAnswers.embeddingFor(inputs.get(i), dims);
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", index);
            if (dup && inputs.size() == 1) {
                data.add(item);
            }
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
        root.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return root;
    }

    /** A refusal step answers the whole request at once, uncharged. */
    private void refuse(MockExchange ex, MockDirectives.Step step, String model) {
        Map<String, String> retryHeaders = step.headers(Instant.now());
        switch (step.action()) {
            case STATUS -> refuse(ex, step, MockErrors.forStatus(step.status(), model).withHeaders(retryHeaders), false);
            case INSUFFICIENT_QUOTA -> refuse(ex, step, MockErrors.insufficientQuota().withHeaders(retryHeaders), false);
            case FLAGGED -> refuse(ex, step, MockErrors.flagged().withHeaders(retryHeaders), false);
            case CONTEXT_LENGTH_EXCEEDED -> ex.error(MockErrors.contextLengthExceeded(
                    Math.max(1, rt.contextWindowFor(model)), Math.max(2, rt.contextWindowFor(model) + 1L), 0));
            case RESET -> ex.reset();
            case HANG -> ex.hang();
            default -> {
                // malformed, no_choices: a 200 whose body is not an embeddings list.
                rt.counters.malformed();
                ObjectNode body = ex.json().createObjectNode().put("object", "list");
                ex.json(200, body, Map.of());
            }
        }
    }

    /** The inputs as texts, or null when the field is missing, empty or of the wrong shape. */
    static List<String> inputs(JsonNode input) {
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
    /** An error answer, behind its status or, with {@code in-200}, inside a 200 answer. */
    private static void refuse(MockExchange ex, MockDirectives.Step step, MockErrors.Error error, boolean stream) {
        if (step.in200()) {
            ex.errorIn200(error, stream);
        } else {
            ex.error(error);
        }
    }
}
