package io.llmstream.parse;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.RecordsSettings;
import io.llmstream.measure.TokenEstimator;
import io.llmstream.record.InputRecord;
import io.llmstream.record.Lane;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns an input record into a {@link LlmRequest}, or into a dead letter that says what is wrong with
 * it. Fields of its own are {@code id}, {@code prompt} or {@code messages}, {@code model},
 * {@code priority}, {@code lane} and {@code metadata}; every other field is a chat-completions parameter and is
 * passed through unchanged. Records for an embedding model carry {@code input} instead
 * ({@link EmbeddingInput}).
 */
public final class PromptParser {
    /**
     * The longest id a prompt may have. An id is the key of its completion or dead letter and is written
     * in its value too, so the rest of a dead letter still fits the smallest record the sinks allow.
     */
    public static final int MAX_ID_CHARS = 256;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final LlmStreamConfig config;
    private final Map<String, TokenEstimator> estimators = new HashMap<>();
    /** With records.template: how a business record becomes a prompt; null when records are prompts. */
    private final RecordTemplate template;
    /** With records.output: enrich: whether a record has room for the answer; null otherwise. */
    private final EnrichTarget enrichTarget;
    /**
     * Whether online chat prompts are left {@link LlmRequest#NOT_ESTIMATED} for the call stage
     * ({@link #estimated}).
     */
    private final boolean estimateLater;
    private final InvalidInputs invalidInputs;

    /** A parser that estimates every prompt's tokens as it parses. */
    public PromptParser(LlmStreamConfig config) {
        this(config, false);
    }

    /**
     * @param estimateLater whether to leave the token estimate of online chat prompts to the call stage, which
     *     calls {@link #estimated} for the records it takes (with tenants it reads past many it does not take)
     */
    public PromptParser(LlmStreamConfig config, boolean estimateLater) {
        this.config = config;
        this.estimateLater = estimateLater;
        RecordsSettings records = config.records();
        this.template = records.templated() ? new RecordTemplate(records.template(),
                model -> config.models().containsKey(model) && config.model(model).isEmbedding(),
                config.defaultModel()) : null;
        this.enrichTarget = records.enriches() ? new EnrichTarget(records.field(), records.metaField()) : null;
        this.invalidInputs = new InvalidInputs(config.kafka().maxRequestSize());
    }

    /** Parses one record; never throws for bad input. */
    public ParsedInput parse(InputRecord record, long nowMillis) {
        String fallbackId = record.coordinates();
        byte[] value = record.value();
        if (value == null) {
            return invalid(fallbackId, "the record has no value (a tombstone)", null, record);
        }
        if (value.length > config.job().maxInputBytes()) {
            return invalid(fallbackId, "the value is " + value.length + " bytes, more than job.max-input-bytes ("
                    + config.job().maxInputBytes() + ")", null, record);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return invalid(fallbackId, "the value is not valid UTF-8", null, record);
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return invalid(fallbackId, "the value is not valid JSON: " + e.getOriginalMessage(), text, record);
        }
        if (tree == null || !tree.isObject()) {
            return invalid(fallbackId, "the value must be a JSON object, was " + describe(tree), text, record);
        }
        try {
            return ParsedInput.valid(toRequest(shape((ObjectNode) tree, fallbackId), fallbackId, text, value.length,
                    nowMillis, record.position()));
        } catch (InvalidPrompt e) {
            return invalid(e.id, e.getMessage(), text, record);
        }
    }

    /**
     * The prompt in a record: the record itself, or what {@code records.template} makes of it; with
     * {@code records.output: enrich}, only if the answer can be added to it.
     */
    private ObjectNode shape(ObjectNode record, String fallbackId) {
        if (template == null && enrichTarget == null) {
            return record;
        }
        try {
            ObjectNode prompt = template == null ? record : template.render(record, fallbackId);
            String problem = enrichTarget == null ? null : enrichTarget.problem(record);
            if (problem != null) {
                JsonNode id = prompt.get("id");
                throw new InvalidPrompt(id != null && (id.isTextual() || id.isIntegralNumber()) ? id.asText()
                        : fallbackId, problem);
            }
            return prompt;
        } catch (RecordTemplate.Unfit e) {
            throw new InvalidPrompt(e.id, e.getMessage());
        }
    }

    private LlmRequest toRequest(ObjectNode json, String fallbackId, String text, int inputBytes, long nowMillis,
            SourcePosition source) {
        String id = readId(json.remove("id"), fallbackId);
        String model = readModel(id, json.remove("model"));
        ModelSettings settings = config.model(model);
        Lane lane = readLane(id, json.remove("lane"), settings);
        String tenant = readTenant(id, json.remove("tenant"));
        if (settings.isEmbedding()) {
            return toEmbeddingRequest(json, id, settings, text, inputBytes, nowMillis, source).inLane(lane)
                    .ofTenant(tenant);
        }
        String inputOnChat = EmbeddingInput.inputOnChatModel(json, model);
        if (inputOnChat != null) {
            throw new InvalidPrompt(id, inputOnChat);
        }
        JsonNode prompt = json.remove("prompt");
        JsonNode messages = json.get("messages");
        if (prompt != null && messages != null) {
            throw new InvalidPrompt(id, "give either prompt or messages, not both");
        }
        if (prompt == null && messages == null) {
            throw new InvalidPrompt(id, "prompt or messages is required");
        }
        if (prompt != null) {
            if (!prompt.isTextual() || prompt.asText().isBlank()) {
                throw new InvalidPrompt(id, "prompt must be a non-empty string, was " + describe(prompt));
            }
            ArrayNode single = json.putArray("messages");
            single.addObject().put("role", "user").put("content", prompt.asText());
        } else {
            checkMessages(id, messages);
        }
        int priority = readPriority(id, json.remove("priority"));
        JsonNode metadata = json.remove("metadata");
        checkParameters(id, json);
        // The call stage decides whether to stream and asks for the usage itself.
        json.remove("stream");
        json.remove("stream_options");
        int maxTokens = readMaxTokens(id, json);

        int promptTokens = LlmRequest.NOT_ESTIMATED;
        if (!estimateLater || lane != Lane.ONLINE) {
            promptTokens = estimator(settings).estimatePrompt(json);
            checkFits(id, settings, promptTokens, maxTokens);
        }
        String metadataJson = metadata == null || metadata.isNull() ? null : metadata.toString();
        return new LlmRequest(id, model, priority, json.toString(), metadataJson, promptTokens, maxTokens, text,
                inputBytes, nowMillis, source, lane, tenant);
    }

    /**
     * The input with its prompt's tokens estimated, as {@link #parse} would have left it without
     * {@code estimateLater}: itself when estimated already, a dead letter when the request could never fit the
     * model's TPM limit.
     */
    public ParsedInput estimated(ParsedInput input) {
        LlmRequest request = input.request();
        if (request == null || request.isEstimated()) {
            return input;
        }
        ModelSettings settings = config.model(request.model());
        try {
            int promptTokens = estimator(settings).estimatePrompt((ObjectNode) JSON.readTree(request.body()));
            checkFits(request.id(), settings, promptTokens, request.maxTokens());
            return ParsedInput.valid(request.withPromptTokens(promptTokens));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the body the parser wrote is not JSON", e);
        } catch (InvalidPrompt e) {
            byte[] value = request.input() == null ? null : request.input().getBytes(StandardCharsets.UTF_8);
            return invalidInputs.of(e.id, e.getMessage(), request.input(), value, request.source());
        }
    }

    /** Refuses a request that needs more tokens than its model's TPM limit allows in a minute. */
    private static void checkFits(String id, ModelSettings settings, int promptTokens, int maxTokens) {
        long cost = (long) promptTokens + (maxTokens > 0 ? maxTokens : settings.defaultMaxTokens());
        if (settings.hasTpmLimit() && cost > settings.tpm()) {
            throw new InvalidPrompt(id, "the request needs about " + cost + " tokens (" + promptTokens
                    + " prompt + " + (cost - promptTokens) + " completion), more than models." + settings.name()
                    + ".tpm (" + settings.tpm() + "), so it could never be sent");
        }
    }

    /**
     * A record for an embedding model ({@link EmbeddingInput}): the body is the embeddings body without the
     * model, its tokens are the input's, and nothing is charged for a completion.
     */
    private LlmRequest toEmbeddingRequest(ObjectNode json, String id, ModelSettings settings, String text,
            int inputBytes, long nowMillis, SourcePosition source) {
        int priority = readPriority(id, json.remove("priority"));
        JsonNode metadata = json.remove("metadata");
        String problem = EmbeddingInput.check(json, settings.name());
        if (problem != null) {
            throw new InvalidPrompt(id, problem);
        }
        int tokens = estimator(settings).countText(json.get(EmbeddingInput.INPUT).asText());
        problem = EmbeddingInput.checkTokens(tokens, settings);
        if (problem != null) {
            throw new InvalidPrompt(id, problem);
        }
        String metadataJson = metadata == null || metadata.isNull() ? null : metadata.toString();
        return new LlmRequest(id, settings.name(), priority, json.toString(), metadataJson, tokens, 0, text,
                inputBytes, nowMillis, source);
    }

    private static String readId(JsonNode id, String fallbackId) {
        if (id == null || id.isNull()) {
            return fallbackId;
        }
        boolean usable = (id.isTextual() && !id.asText().isBlank()) || id.isIntegralNumber();
        if (!usable) {
            throw new InvalidPrompt(fallbackId, "id must be a non-empty string, was " + describe(id));
        }
        String text = id.asText();
        if (text.length() > MAX_ID_CHARS) {
            throw new InvalidPrompt(fallbackId, "id must be at most " + MAX_ID_CHARS + " characters, was "
                    + text.length());
        }
        return text;
    }

    private static void checkMessages(String id, JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new InvalidPrompt(id, "messages must be a non-empty array, was " + describe(messages));
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw new InvalidPrompt(id, "messages[" + i + "] must be an object with a string role, was "
                        + describe(message));
            }
        }
    }

    private String readModel(String id, JsonNode model) {
        if (model == null || model.isNull()) {
            return config.defaultModel();
        }
        if (!model.isTextual() || !config.models().containsKey(model.asText())) {
            throw new InvalidPrompt(id, "model " + describe(model) + " is not configured; configured models: "
                    + config.models().keySet());
        }
        return model.asText();
    }

    /** The most characters of a tenant's name. */
    static final int MAX_TENANT_CHARS = 64;

    /** The tenant a record names ({@code "tenant": "team-a"}); null for the default one. */
    private static String readTenant(String id, JsonNode tenant) {
        if (tenant == null || tenant.isNull()) {
            return null;
        }
        if (!tenant.isTextual() || tenant.asText().isBlank() || tenant.asText().length() > MAX_TENANT_CHARS) {
            throw new InvalidPrompt(id, "tenant must be a non-empty string of at most " + MAX_TENANT_CHARS
                    + " characters, was " + describe(tenant));
        }
        return tenant.asText();
    }

    /**
     * The lane a record asks for ({@code "lane": "online" | "batch"}); without one, the model's: the batch lane
     * when its {@code batch-lane.default} says so. A record that asks for the batch lane of a model without one
     * is refused rather than sent online at the full price.
     */
    private static Lane readLane(String id, JsonNode lane, ModelSettings settings) {
        if (lane == null || lane.isNull()) {
            return settings.hasBatchLane() && settings.batchLane().isDefault() ? Lane.BATCH : Lane.ONLINE;
        }
        Lane named = lane.isTextual() ? Lane.ofText(lane.asText()) : null;
        if (named == null) {
            throw new InvalidPrompt(id, "lane must be \"online\" or \"batch\", was " + describe(lane));
        }
        if (named == Lane.BATCH && !settings.hasBatchLane()) {
            throw new InvalidPrompt(id, "lane is \"batch\" but model " + settings.name() + " has no batch lane (set "
                    + "models." + settings.name() + "." + ModelSettings.BATCH_LANE + ")");
        }
        return named;
    }

    private static int readPriority(String id, JsonNode priority) {
        if (priority == null || priority.isNull()) {
            return 0;
        }
        if (!priority.isIntegralNumber() || !priority.canConvertToInt()) {
            throw new InvalidPrompt(id, "priority must be an integer, was " + describe(priority));
        }
        return priority.asInt();
    }

    private static void checkParameters(String id, ObjectNode json) {
        if (json.path("stream").asBoolean(false)) {
            throw new InvalidPrompt(id, "stream: true is not supported; llmstream writes whole completions");
        }
        JsonNode n = json.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == 1)) {
            throw new InvalidPrompt(id, "n must be 1, was " + describe(n) + "; send separate prompts instead");
        }
    }

    private static int readMaxTokens(String id, ObjectNode json) {
        int maxTokens = 0;
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            JsonNode value = json.get(field);
            if (value == null || value.isNull()) {
                continue;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1) {
                throw new InvalidPrompt(id, field + " must be a positive integer, was " + describe(value));
            }
            maxTokens = Math.max(maxTokens, value.asInt());
        }
        return maxTokens;
    }

    private TokenEstimator estimator(ModelSettings model) {
        return estimators.computeIfAbsent(model.encoding(), TokenEstimator::forEncoding);
    }

    /** A dead letter for the record, with its value as text if decoded ({@code text} null if not). */
    private ParsedInput invalid(String id, String message, String text, InputRecord record) {
        return invalidInputs.of(id, message, text, record.value(), record.position());
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        String json = node.toString();
        return json.length() > 80 ? json.substring(0, 77) + "..." : json;
    }

    /** A reason the prompt is invalid, with the id to file it under. */
    private static final class InvalidPrompt extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String id;

        InvalidPrompt(String id, String message) {
            super(message, null, false, false);
            this.id = id;
        }
    }
}
