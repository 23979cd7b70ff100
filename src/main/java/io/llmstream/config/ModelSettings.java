package io.llmstream.config;

import com.knuddels.jtokkit.api.EncodingType;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * A model that prompts may ask for, the endpoint that serves it and the limits it is held to.
 *
 * @param price what its tokens cost; null when not configured
 * @param cache its answer cache; {@link CacheSettings#OFF} when not configured
 * @param merge how single prompts are merged into one request; null when they are not
 * @param batchLane its lane through the provider's Batch API; null when it has none
 */
public record ModelSettings(
        String name,
        String endpoint,
        String providerModel,
        int rpm,
        long tpm,
        long rpd,
        long tpd,
        String encoding,
        int defaultMaxTokens,
        Duration burst,
        double headroom,
        List<String> fallbacks,
        int contextWindow,
        PriceSettings price,
        int shards,
        CacheSettings cache,
        MergeSettings merge,
        ModelKind kind,
        BatchSettings batch,
        int concurrency,
        BatchLaneSettings batchLane) implements Serializable {

    public static final Option<String> ENDPOINT = Option.key("endpoint").stringType().required()
            .withDescription("The name of the endpoint (under endpoints) that serves this model.");
    public static final Option<String> PROVIDER_NAME = Option.key("name").stringType().noDefaultValue()
            .withDescription("The model (or Azure deployment) name sent to the API; defaults to the key.");
    public static final Option<Integer> RPM = Option.key("rpm").intType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Requests per minute allowed; absent means not limited.");
    public static final Option<Long> TPM = Option.key("tpm").longType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Tokens per minute allowed (prompt estimate + max_tokens); absent means not limited.");
    public static final Option<Long> RPD = Option.key("rpd").longType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Requests per day; the whole day's quota may be used at the rpm/tpm pace.");
    public static final Option<Long> TPD = Option.key("tpd").longType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Tokens per day, counted like tpm.");
    public static final Option<String> ENCODING = Option.key("encoding").stringType().noDefaultValue()
            .mustBe(v -> EncodingType.fromName(v).isPresent(), "one of r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base")
            .withDescription("Tokenizer for estimates; defaults to o200k_base for gpt-4o/4.1/5/o-series, "
                    + "cl100k_base otherwise.");
    public static final Option<Integer> DEFAULT_MAX_TOKENS = Option.key("default-max-tokens").intType()
            .defaultValue(1024).mustBe(v -> v > 0, "> 0")
            .withDescription("Completion tokens counted against tpm for prompts without max_tokens.");
    public static final Option<Duration> BURST = Option.key("burst").durationType()
            .defaultValue(Duration.ofMillis(500)).mustBe(v -> !v.isNegative() && v.toMillis() <= 60_000, "between 0 and 60s")
            .withDescription("How much of the budget may go out at once, as time at the full rate; kept below "
                    + "the provider's enforcement window (1 s at OpenAI) so the rest absorbs network jitter.");

    public static final Option<Double> HEADROOM = Option.key("headroom").doubleType().defaultValue(0.02)
            .mustBe(v -> v >= 0 && v < 0.5, "between 0 and 0.5")
            .withDescription("Fraction of each limit left unused so network jitter never meets an empty "
                    + "provider bucket; 0.02 paces at 98%.");

    public static final Option<List<String>> FALLBACKS = Option.key("fallbacks").type(ValueType.STRING_LIST)
            .defaultValue(List.of())
            .withDescription("Models tried in order when this one's circuit is open, its quota is gone, or a "
                    + "prompt does not fit its context; the output names the model that answered.");
    public static final Option<Integer> CONTEXT_WINDOW = Option.key("context-window").intType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Tokens of prompt plus completion the model takes; a prompt that does not fit goes "
                    + "to a fallback with a larger context window.");

    public static final Option<Integer> SHARDS = Option.key("shards").intType().noDefaultValue()
            .mustBe(v -> v > 0 && v <= 1024, "between 1 and 1024")
            .withDescription("Parallel instances of the call stage that share this model's limits, each held "
                    + "to its exact share; absent: job.parallelism, so a hot model uses the whole cluster. Models "
                    + "linked by fallbacks use the largest of their shards. Models without limits need none: their "
                    + "traffic spreads over every instance.");

    public static final Option<ModelKind> KIND = Option.key("kind").enumType(ModelKind.class)
            .defaultValue(ModelKind.CHAT)
            .withDescription("chat (records carry prompt or messages; POST /chat/completions) or embedding "
                    + "(records carry input; POST /embeddings, several inputs per request, see batch).");
    public static final Option<String> CONCURRENCY = Option.key("concurrency").stringType().defaultValue("adaptive")
            .mustBe(v -> v.equals("adaptive") || v.matches("[1-9][0-9]{0,5}"), "adaptive or a whole number from 1")
            .withDescription("How many requests may be at the model's server at once (per budget shard): adaptive "
                    + "finds the server's own concurrency from its time to the first token, so a self-hosted "
                    + "server that queues (vLLM, TGI, Ollama, llama.cpp) is not buried in a queue; a number fixes "
                    + "it. Never more than call.capacity.");
    /** {@link #concurrency()} when it adapts. */
    public static final int ADAPTIVE = 0;

    /** The section of an embedding model's {@link BatchSettings}. */
    public static final String BATCH = "batch";
    /** The section of a model's {@link BatchLaneSettings}. */
    public static final String BATCH_LANE = "batch-lane";

    /** {@link #shards()} when the model follows {@code job.parallelism}. */
    public static final int AUTO_SHARDS = 0;

    /** Not limited. */
    public static final int UNLIMITED = 0;

    static ModelSettings read(String name, ConfigSection section) {
        String providerName = section.get(PROVIDER_NAME);
        String resolvedName = providerName == null ? name : providerName;
        Integer rpm = section.get(RPM);
        Long tpm = section.get(TPM);
        Long rpd = section.get(RPD);
        Long tpd = section.get(TPD);
        String encoding = section.get(ENCODING);
        return new ModelSettings(name, section.get(ENDPOINT), resolvedName,
                rpm == null ? UNLIMITED : rpm,
                tpm == null ? UNLIMITED : tpm,
                rpd == null ? UNLIMITED : rpd,
                tpd == null ? UNLIMITED : tpd,
                encoding == null ? defaultEncodingFor(resolvedName) : encoding,
                section.get(DEFAULT_MAX_TOKENS),
                section.get(BURST),
                section.get(HEADROOM),
                section.get(FALLBACKS),
                contextWindowOrZero(section.get(CONTEXT_WINDOW)),
                PriceSettings.read(section.section("price")),
                shardsOrAuto(section.get(SHARDS)),
                CacheSettings.read(section.section("cache")),
                MergeSettings.readOf(section),
                section.get(KIND),
                readBatch(section),
                concurrencyOf(section.get(CONCURRENCY)),
                BatchLaneSettings.read(section, BATCH_LANE));
    }

    /** An embedding model's batch settings; null for a chat model, which must not have any. */
    private static BatchSettings readBatch(ConfigSection section) {
        if (section.get(KIND) == ModelKind.EMBEDDING) {
            return BatchSettings.read(section.section(BATCH));
        }
        if (section.has(BATCH)) {
            throw new ConfigException(section.pathOf(BATCH) + " applies only to embedding models: set "
                    + section.pathOf(KIND.key()) + ": embedding, or remove " + section.pathOf(BATCH));
        }
        return null;
    }

    /** Whether the model makes embeddings (records carry {@code input}) rather than chat completions. */
    public boolean isEmbedding() {
        return kind == ModelKind.EMBEDDING;
    }

    /**
     * The estimated input tokens one embeddings request may carry: {@code batch.max-tokens}, and never more
     * than the model's {@code tpm}, which no single request may exceed.
     */
    public long batchTokens() {
        return hasTpmLimit() ? Math.min(batch.maxTokens(), tpm) : batch.maxTokens();
    }

    private static int concurrencyOf(String value) {
        return value.equals("adaptive") ? ADAPTIVE : Integer.parseInt(value);
    }

    private static int shardsOrAuto(Integer shards) {
        return shards == null ? AUTO_SHARDS : shards;
    }

    private static int contextWindowOrZero(Integer contextWindow) {
        return contextWindow == null ? 0 : contextWindow;
    }

    /**
     * The encoding OpenAI uses for a model name: {@code o200k_base} for the gpt-4o, gpt-4.1, gpt-5 and
     * o-series families, {@code cl100k_base} for older ones and for other providers' models, whose own
     * tokenizers are closer to cl100k than to o200k.
     */
    public static String defaultEncodingFor(String modelName) {
        String lower = modelName.toLowerCase(java.util.Locale.ROOT);
        boolean newer = lower.startsWith("gpt-4o") || lower.startsWith("gpt-4.1") || lower.startsWith("gpt-4.5")
                || lower.startsWith("gpt-5") || lower.startsWith("chatgpt-4o") || lower.matches("^o\\d.*");
        return newer ? EncodingType.O200K_BASE.getName() : EncodingType.CL100K_BASE.getName();
    }

    /** Whether the model has a lane through the provider's Batch API. */
    public boolean hasBatchLane() {
        return batchLane != null;
    }

    public boolean hasRpmLimit() {
        return rpm > 0;
    }

    public boolean hasTpmLimit() {
        return tpm > 0;
    }

    /** True if any limit is configured. */
    public boolean isLimited() {
        return rpm > 0 || tpm > 0 || rpd > 0 || tpd > 0;
    }
}
