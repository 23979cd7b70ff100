package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}: validation, directives, context window, rate limits, random
 * faults and latency, in that order, then a deterministic answer in OpenAI's format.
 *
 * <p>Directive steps and refusals (400, 404, 429) answer at once; admitted requests wait for their
 * latency before the answer or the injected fault.
 */
final class MockChat {

    private final MockRuntime rt;

    MockChat(MockRuntime rt) {
        this.rt = rt;
    }

    /** What a valid request would get: its token counts and its possibly cut answer. */
    private record Answer(String model, String content, String finishReason, int promptTokens, int completionTokens,
                          Integer maxTokens) {

        long chargedTokens() {
            return promptTokens + (long) (maxTokens != null ? maxTokens : completionTokens);
        }
    }

    void handle(MockExchange ex, String keyFingerprint, JsonNode body, long arrivedNanos) {
        // Drawn for every request in arrival order, so the same seed repeats the same run.
        MockFaults.Fault fault = rt.faults.next();
        double baseLatencyMs = rt.latency.nextBaseMs();

        MockErrors.Error invalid = validate(body);
        if (invalid != null) {
            ex.error(invalid);
            return;
        }
        String model = body.get("model").asText();
        if (!rt.servesModel(model)) {
            ex.error(MockErrors.modelNotFound(model));
            return;
        }
        String text = lastUserText(body.get("messages"));
        Optional<MockDirectives.Step> step;
        try {
            step = rt.directives.next(text);
        } catch (IllegalArgumentException e) {
            ex.error(MockErrors.invalidRequest(e.getMessage(), "messages"));
            return;
        }
        MockCounters.KeyModelCounters counters = rt.counters.keyModel(keyFingerprint, model);
        counters.request();
        Answer answer = answer(body, model, text);
        if (step.isPresent() && step.get().action() != MockDirectives.Action.OK) {
            playStep(ex, step.get(), answer);
            return;
        }
        int window = rt.contextWindowFor(model);
        long maxTokens = answer.maxTokens() == null ? 0 : answer.maxTokens();
        if (window > 0 && answer.promptTokens() + maxTokens > window) {
            ex.error(MockErrors.contextLengthExceeded(window, answer.promptTokens(), maxTokens));
            return;
        }
        MockRateLimiter.Decision decision = rt.limiter.acquire(keyFingerprint, model, answer.chargedTokens(),
                arrivedNanos);
        if (!decision.admitted()) {
            counters.rateLimited();
            rt.counters.rateLimited();
            ex.error(decision.error(rt.options.limitHeaders()));
            return;
        }
        counters.admitted(answer.chargedTokens(), arrivedNanos);
        long delayNanos = rt.latency.delayNanos(baseLatencyMs, answer.completionTokens());
        Map<String, String> headers = new LinkedHashMap<>(decision.headers(rt.options.limitHeaders()));
        headers.put("openai-processing-ms", String.valueOf(delayNanos / 1_000_000));
        ObjectNode completion = completion(ex, answer);
        ex.later(delayNanos, () -> {
            switch (fault.kind()) {
                case ERROR -> ex.error(MockErrors.forStatus(fault.status(), model));
                case RESET -> ex.reset();
                case HANG -> ex.hang();
                case MALFORMED -> sendMalformed(ex, completion, fault.variant(), headers);
                case NONE -> {
                    if (ex.isOpen()) {
                        rt.counters.tokens(answer.promptTokens(), answer.completionTokens());
                        ex.json(200, completion, headers);
                    }
                }
            }
        });
    }

    private void playStep(MockExchange ex, MockDirectives.Step step, Answer answer) {
        Map<String, String> retryHeaders = step.headers(Instant.now());
        switch (step.action()) {
            case STATUS -> ex.error(MockErrors.forStatus(step.status(), answer.model()).withHeaders(retryHeaders));
            case INSUFFICIENT_QUOTA -> ex.error(MockErrors.insufficientQuota().withHeaders(retryHeaders));
            case CONTEXT_LENGTH_EXCEEDED -> {
                long completion = answer.maxTokens() == null ? 0 : answer.maxTokens();
                int configured = rt.contextWindowFor(answer.model());
                int window = configured > 0 ? configured : (int) Math.max(1, answer.promptTokens() + completion - 1);
                ex.error(MockErrors.contextLengthExceeded(window, answer.promptTokens(), completion));
            }
            case RESET -> ex.reset();
            case HANG -> ex.hang();
            case MALFORMED -> sendMalformed(ex, completion(ex, answer), 0, Map.of());
            case NO_CHOICES -> sendMalformed(ex, completion(ex, answer), 1, Map.of());
            case OK -> throw new IllegalStateException("an ok step is answered normally");
        }
    }

    /** Variant 0: the JSON cut off halfway; variant 1: valid JSON without {@code choices}. */
    private void sendMalformed(MockExchange ex, ObjectNode completion, int variant, Map<String, String> headers) {
        byte[] body;
        if (variant == 0) {
            byte[] whole = ex.bytes(completion);
            body = Arrays.copyOf(whole, whole.length / 2);
        } else {
            ObjectNode withoutChoices = completion.deepCopy();
            withoutChoices.remove("choices");
            body = ex.bytes(withoutChoices);
        }
        if (ex.isOpen()) {
            rt.counters.malformed();
            ex.raw(200, body, MockExchange.APPLICATION_JSON, headers);
        }
    }

    private Answer answer(JsonNode body, String model, String text) {
        TokenEstimator estimator = rt.estimatorFor(model);
        int promptTokens = estimator.estimatePrompt(body);
        Integer maxTokens = maxTokens(body);
        String full = MockAnswers.contentFor(text);
        String content = maxTokens == null ? full : estimator.truncate(full, maxTokens);
        String finishReason = content.length() < full.length() ? "length" : "stop";
        return new Answer(model, content, finishReason, promptTokens, estimator.countText(content), maxTokens);
    }

    private ObjectNode completion(MockExchange ex, Answer answer) {
        ObjectNode root = ex.json().createObjectNode();
        root.put("id", "chatcmpl-" + ex.requestId());
        root.put("object", "chat.completion");
        root.put("created", Instant.now().getEpochSecond());
        root.put("model", answer.model());
        ArrayNode choices = root.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", answer.content());
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", answer.finishReason());
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", answer.promptTokens());
        usage.put("completion_tokens", answer.completionTokens());
        usage.put("total_tokens", answer.promptTokens() + answer.completionTokens());
        root.put("system_fingerprint", "fp_mock");
        return root;
    }

    /** The error for an invalid body, or null when it is valid. */
    static MockErrors.Error validate(JsonNode body) {
        if (!body.isObject()) {
            return MockErrors.invalidRequest("The request body must be a JSON object.", null);
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return MockErrors.invalidRequest("you must provide a model parameter", "model");
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return MockErrors.invalidRequest("'messages' must be a non-empty array", "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject() || !message.path("role").isTextual()) {
                return MockErrors.invalidRequest("messages[" + i + "] must be an object with a string 'role'",
                        "messages[" + i + "].role");
            }
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) {
                return MockErrors.invalidRequest("'stream' must be a boolean, was " + stream, "stream");
            }
            if (stream.asBoolean()) {
                return MockErrors.invalidRequest("mock-llm does not stream; leave 'stream' out or set it to false",
                        "stream", "unsupported_value");
            }
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
            return MockErrors.invalidRequest("mock-llm supports only n=1, was " + n, "n", "unsupported_value");
        }
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()
                    && !(value.isIntegralNumber() && value.canConvertToInt() && value.asInt() >= 1)) {
                return MockErrors.invalidRequest("'" + field + "' must be an integer >= 1, was " + value, field);
            }
        }
        return null;
    }

    /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
    static Integer maxTokens(JsonNode body) {
        for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                return value.asInt();
            }
        }
        return null;
    }

    /** The text of the last user message, its text parts joined by newlines; empty when there is none. */
    static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if (!"user".equals(message.path("role").asText())) {
                continue;
            }
            JsonNode content = message.get("content");
            if (content == null || content.isNull()) {
                return "";
            }
            if (content.isTextual()) {
                return content.asText();
            }
            if (content.isArray()) {
                StringBuilder text = new StringBuilder();
                for (JsonNode part : content) {
                    if (part.path("text").isTextual()) {
                        if (text.length() > 0) {
                            text.append('\n');
                        }
                        text.append(part.path("text").asText());
                    }
                }
                return text.toString();
            }
            return content.toString();
        }
        return "";
    }
}
