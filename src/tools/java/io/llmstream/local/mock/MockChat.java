package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/chat/completions}: validation, directives, context window, rate limits, random
 * faults and latency, in that order, then a deterministic answer in OpenAI's format, whole or
 * streamed ({@link MockStream}).
 *
 * <p>Refusals (400, 404, 429) and the refusal steps of a directive answer at once; admitted requests
 * wait for a slot ({@link MockSlots}, with {@code --slots}), then for their latency before the answer or
 * the injected fault. A streamed answer sends its headers as soon as it is served and its first token
 * after the base latency; an error or a reset instead of a stream comes at that first token, a hang
 * sends nothing at all.
 */
final class MockChat {

    private final MockRuntime rt;
    private final MockMerge merge;

    MockChat(MockRuntime rt) {
        this.rt = rt;
        this.merge = new MockMerge(rt.options);
    }

    /** How an admitted request is answered: whole or streamed, when, and with which headers. */
    private record Reply(MockCompletion completion, boolean stream, boolean includeUsage, MockPacing pacing,
                         Map<String, String> limitHeaders) {}

    void handle(MockExchange ex, String keyFingerprint, JsonNode body, long arrivedNanos) {
        // Drawn for every request in arrival order, so the same seed repeats the same run.
        MockFaults.Fault fault = rt.faults.next();
        double baseLatencyMs = rt.latency.nextBaseMs();

        MockErrors.Error invalid = validate(body, rt.options.stream());
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
        MockDirectives.Step step;
        try {
            step = rt.directives.next(text).orElse(null);
        } catch (IllegalArgumentException e) {
            ex.error(MockErrors.invalidRequest(e.getMessage(), "messages"));
            return;
        }
        MockCounters.KeyModelCounters counters = rt.counters.keyModel(keyFingerprint, model);
        counters.request();
        MockDirectives.Action action = step == null ? MockDirectives.Action.OK : step.action();
        JsonNode mergedPrompts = MockMerge.prompts(body, text);
        MockCompletion answer = mergedPrompts != null
                ? merge.completion(rt.estimatorFor(model), "chatcmpl-" + ex.requestId(), model, body, mergedPrompts)
                : MockCompletion.of(rt.estimatorFor(model), "chatcmpl-" + ex.requestId(), model, body,
                        text, action == MockDirectives.Action.LONG ? step.chars() : null, jsonShape(action));
        boolean stream = rt.options.stream().streams() && body.path("stream").asBoolean(false);
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        if (action == MockDirectives.Action.CLOSES) {
            ex.dropNextRequestOnThisConnection();
        }
        if (step != null && !step.charged()) {
            playStep(ex, step, answer, stream, includeUsage);
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
        long pauseMs = action == MockDirectives.Action.PAUSE ? step.ms() : 0;
        long slowMs = action == MockDirectives.Action.SLOW ? step.ms() : 0;
        MockPacing pacing = new MockPacing(baseLatencyMs, rt.options.msPerToken(), pauseMs, slowMs);
        Reply reply = new Reply(answer, stream, includeUsage, pacing, decision.headers(rt.options.limitHeaders()));
        ex.whenServed(rt.slots, () -> serve(ex, reply, step, fault));
    }

    /**
     * The answer to one line of a batch: the validation, directives, context window and completion of the
     * online request, so both carry the same content and usage; no rate limit, slot, latency or random fault,
     * which a batch line does not meet, and the whole answer even when the line asks for a stream. Steps that
     * only a connection can show (reset, malformed, break, closes, pause, slow) answer normally; {@code hang}
     * never answers and {@code hang(ms=N)} answers N ms late.
     */
    MockBatchAnswer batchAnswer(JsonNode body, String requestId) {
        MockErrors.Error invalid = validate(body, MockOptions.StreamMode.IGNORE);
        if (invalid != null) {
            return MockBatchAnswer.error(invalid, rt.json);
        }
        String model = body.get("model").asText();
        if (!rt.servesModel(model)) {
            return MockBatchAnswer.error(MockErrors.modelNotFound(model), rt.json);
        }
        String text = lastUserText(body.get("messages"));
        MockDirectives.Step step;
        try {
            step = rt.directives.next(text).orElse(null);
        } catch (IllegalArgumentException e) {
            return MockBatchAnswer.error(MockErrors.invalidRequest(e.getMessage(), "messages"), rt.json);
        }
        MockDirectives.Action action = step == null ? MockDirectives.Action.OK : step.action();
        String id = "chatcmpl-" + requestId;
        JsonNode mergedPrompts = MockMerge.prompts(body, text);
        MockCompletion answer = mergedPrompts != null
                ? merge.completion(rt.estimatorFor(model), id, model, body, mergedPrompts)
                : MockCompletion.of(rt.estimatorFor(model), id, model, body, text,
                        action == MockDirectives.Action.LONG ? step.chars() : null, jsonShape(action));
        long maxTokens = answer.maxTokens() == null ? 0 : answer.maxTokens();
        int window = rt.contextWindowFor(model);
        MockErrors.Error refusal = switch (action) {
            case STATUS -> MockErrors.forStatus(step.status(), model);
            case INSUFFICIENT_QUOTA -> MockErrors.insufficientQuota();
            case FLAGGED -> MockErrors.flagged();
            case CONTEXT_LENGTH_EXCEEDED -> MockErrors.contextLengthExceeded(
                    window > 0 ? window : (int) Math.max(1, answer.promptTokens() + maxTokens - 1),
                    answer.promptTokens(), maxTokens);
            default -> window > 0 && answer.promptTokens() + maxTokens > window
                    ? MockErrors.contextLengthExceeded(window, answer.promptTokens(), maxTokens)
                    : null;
        };
        if (refusal != null) {
            return MockBatchAnswer.error(refusal, rt.json);
        }
        if (action == MockDirectives.Action.HANG && step.ms() == null) {
            return MockBatchAnswer.never();
        }
        ObjectNode completion = answer.body(rt.json);
        if (action == MockDirectives.Action.NO_CHOICES) {
            completion.remove("choices");
        }
        long delayMs = action == MockDirectives.Action.HANG ? step.ms() : 0;
        return MockBatchAnswer.ok(completion, answer.promptTokens(), answer.completionTokens(), delayMs);
    }

    /** An admitted request once it holds a slot: its latency starts now. */
    private void serve(MockExchange ex, Reply reply, MockDirectives.Step step, MockFaults.Fault fault) {
        MockDirectives.Action action = step == null ? MockDirectives.Action.OK : step.action();
        switch (action) {
            case HANG -> {
                ex.hang();
                answer(ex, reply, TimeUnit.MILLISECONDS.toNanos(step.ms()));
            }
            case BREAK -> sendBroken(ex, reply);
            default -> answerOrFault(ex, reply, fault);
        }
    }

    private void answerOrFault(MockExchange ex, Reply reply, MockFaults.Fault fault) {
        MockPacing pacing = reply.pacing();
        long faultAt = reply.stream()
                ? pacing.firstNanos()
                : pacing.wholeNanos(reply.completion().completionTokens());
        switch (fault.kind()) {
            case ERROR -> ex.later(faultAt, () -> ex.error(MockErrors.forStatus(fault.status(),
                    reply.completion().model())));
            case RESET -> ex.later(faultAt, ex::reset);
            case HANG -> {
                ex.hang();
                Duration hangFor = rt.options.hangFor();
                if (!hangFor.isZero()) {
                    answer(ex, reply, hangFor.toNanos());
                }
            }
            case MALFORMED -> {
                if (reply.stream()) {
                    MockStream.Ending ending = fault.variant() == 0 ? MockStream.Ending.BREAK
                            : MockStream.Ending.BAD_JSON;
                    stream(ex, reply, ending, 0);
                } else {
                    ObjectNode body = reply.completion().body(rt.json);
                    Map<String, String> headers = wholeHeaders(reply, faultAt);
                    ex.later(faultAt, () -> sendMalformed(ex, body, fault.variant(), headers));
                }
            }
            case NONE -> answer(ex, reply, 0);
        }
    }

    private static MockJsonAnswers.Shape jsonShape(MockDirectives.Action action) {
        return switch (action) {
            case NOT_JSON -> MockJsonAnswers.Shape.NOT_JSON;
            case OFF_SCHEMA -> MockJsonAnswers.Shape.OFF_SCHEMA;
            default -> MockJsonAnswers.Shape.VALID;
        };
    }

    /** The normal answer, whole or streamed, starting after {@code startNanos} (a hang that ends). */
    private void answer(MockExchange ex, Reply reply, long startNanos) {
        if (reply.stream()) {
            stream(ex, reply, MockStream.Ending.COMPLETE, startNanos);
            return;
        }
        MockCompletion completion = reply.completion();
        long delayNanos = startNanos + reply.pacing().wholeNanos(completion.completionTokens());
        ObjectNode body = completion.body(rt.json);
        Map<String, String> headers = wholeHeaders(reply, delayNanos);
        ex.later(delayNanos, () -> {
            if (ex.isOpen()) {
                rt.counters.tokens(completion.promptTokens(), completion.completionTokens());
                ex.json(200, body, headers);
            }
        });
    }

    private void stream(MockExchange ex, Reply reply, MockStream.Ending ending, long startNanos) {
        Map<String, String> headers = new LinkedHashMap<>(reply.limitHeaders());
        headers.put("openai-processing-ms", String.valueOf(startNanos / 1_000_000));
        new MockStream(rt, ex, reply.completion(), reply.pacing(), reply.includeUsage(), ending, headers)
                .start(startNanos);
    }

    /** The {@code break} step: a stream cut after half its chunks, or a whole body cut after half its bytes. */
    private void sendBroken(MockExchange ex, Reply reply) {
        if (reply.stream()) {
            stream(ex, reply, MockStream.Ending.BREAK, 0);
            return;
        }
        long delayNanos = reply.pacing().wholeNanos(reply.completion().completionTokens());
        byte[] body = ex.bytes(reply.completion().body(rt.json));
        Map<String, String> headers = wholeHeaders(reply, delayNanos);
        ex.later(delayNanos, () -> {
            if (ex.isOpen()) {
                rt.counters.malformed();
                ex.truncated(200, body, body.length / 2, MockExchange.APPLICATION_JSON, headers);
            }
        });
    }

    /** The headers of an unstreamed 200: the limits and the processing time, the delay until it goes. */
    private static Map<String, String> wholeHeaders(Reply reply, long delayNanos) {
        Map<String, String> headers = new LinkedHashMap<>(reply.limitHeaders());
        headers.put("openai-processing-ms", String.valueOf(delayNanos / 1_000_000));
        return headers;
    }

    private void playStep(MockExchange ex, MockDirectives.Step step, MockCompletion answer, boolean stream,
                          boolean includeUsage) {
        Map<String, String> retryHeaders = step.headers(Instant.now());
        switch (step.action()) {
            case STATUS -> refuse(ex, step, MockErrors.forStatus(step.status(), answer.model()).withHeaders(retryHeaders), stream);
            case INSUFFICIENT_QUOTA -> refuse(ex, step, MockErrors.insufficientQuota().withHeaders(retryHeaders), stream);
            case FLAGGED -> refuse(ex, step, MockErrors.flagged().withHeaders(retryHeaders), stream);
            case CONTEXT_LENGTH_EXCEEDED -> {
                long completion = answer.maxTokens() == null ? 0 : answer.maxTokens();
                int configured = rt.contextWindowFor(answer.model());
                int window = configured > 0 ? configured : (int) Math.max(1, answer.promptTokens() + completion - 1);
                ex.error(MockErrors.contextLengthExceeded(window, answer.promptTokens(), completion));
            }
            case RESET -> ex.reset();
            case HANG -> ex.hang();
            case MALFORMED -> {
                if (stream) {
                    // At once, like every refusal: a stream whose middle chunk is cut off in its JSON.
                    new MockStream(rt, ex, answer, new MockPacing(0, 0, 0, 0), includeUsage,
                            MockStream.Ending.BAD_JSON, Map.of()).start(0);
                } else {
                    sendMalformed(ex, answer.body(rt.json), 0, Map.of());
                }
            }
            case NO_CHOICES -> sendMalformed(ex, answer.body(rt.json), 1, Map.of());
            default -> throw new IllegalStateException(step.action() + " is an answer, not a refusal");
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

    /** The error for an invalid body, or null when it is valid; {@code mode} says whether streams are refused. */
    static MockErrors.Error validate(JsonNode body, MockOptions.StreamMode mode) {
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
        MockErrors.Error streamError = validateStream(body, mode);
        if (streamError != null) {
            return streamError;
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

    private static MockErrors.Error validateStream(JsonNode body, MockOptions.StreamMode mode) {
        JsonNode stream = body.get("stream");
        boolean streaming = false;
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) {
                return MockErrors.invalidRequest("'stream' must be a boolean, was " + stream, "stream");
            }
            streaming = stream.asBoolean();
            if (streaming && mode == MockOptions.StreamMode.REJECT) {
                return MockErrors.invalidRequest("mock-llm does not stream (--stream reject); leave 'stream' out or"
                        + " set it to false", "stream", "unsupported_value");
            }
        }
        JsonNode options = body.get("stream_options");
        if (options == null || options.isNull()) {
            return null;
        }
        if (!streaming) {
            // OpenAI's own words.
            return MockErrors.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is"
                    + " enabled.", "stream_options");
        }
        if (!options.isObject()) {
            return MockErrors.invalidRequest("'stream_options' must be an object, was " + options, "stream_options");
        }
        JsonNode includeUsage = options.get("include_usage");
        if (includeUsage != null && !includeUsage.isNull() && !includeUsage.isBoolean()) {
            return MockErrors.invalidRequest("'stream_options.include_usage' must be a boolean, was " + includeUsage,
                    "stream_options.include_usage");
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
    /** An error answer, behind its status or, with {@code in-200}, inside a 200 answer. */
    private static void refuse(MockExchange ex, MockDirectives.Step step, MockErrors.Error error, boolean stream) {
        if (step.in200()) {
            ex.errorIn200(error, stream);
        } else {
            ex.error(error);
        }
    }
}
