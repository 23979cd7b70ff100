package io.llmstream.local.mock;

import io.llmstream.measure.TokenEstimator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the mock LLM server does: where it listens, which keys and models it accepts, how slow it is,
 * which rate limits it enforces and which faults it injects. Built with {@link #builder()} or from
 * command-line flags with {@link #parseArgs(List)}, and validated in one place, the constructor, so a
 * bad value fails before the server binds a port.
 *
 * <p>Error messages name the flag, the value and what it must be, e.g.
 * {@code --rpm must be a non-negative integer, was 'abc'}. Keys never appear in messages or in
 * {@link #toString()}; only their fingerprints do.
 *
 * @param host the address to bind
 * @param port the port to bind; 0 picks a free one (see {@link MockLlmServer#port()})
 * @param models the served models; empty means any model is accepted and {@link #DEFAULT_MODELS} are listed
 * @param apiKeys the accepted keys; empty means any non-empty key is accepted
 * @param revokedKeys keys answered with 401 {@code invalid_api_key}
 * @param embeddingDims the length of embedding vectors when a request does not ask for {@code dimensions}
 * @param seed the seed of the latency and fault draws
 * @param latencyMs the median of the log-normal base latency, in milliseconds; 0 answers at once
 * @param latencySigma the sigma of the log-normal base latency
 * @param msPerToken milliseconds added per completion token on top of the base latency
 * @param encoding a jtokkit encoding name, or {@link #AUTO_ENCODING} for each model's own encoding
 * @param rpm requests per minute of every key and model without a more specific {@link RateLimit}; 0 is unlimited
 * @param tpm tokens per minute of every key and model without a more specific {@link RateLimit}; 0 is unlimited
 * @param limits per-key, per-model limits
 * @param limitWindow the period over which per-minute limits are enforced: capacity = limit × window / 60 s
 * @param contextWindow the context window of models without their own; 0 is unlimited
 * @param contextWindows context windows by model
 * @param errorRate the share of admitted requests answered 500, 502 or 503
 * @param resetRate the share of admitted requests whose connection is reset
 * @param hangRate the share of admitted requests that hang: no byte at all, forever or for {@code hangFor}
 * @param malformedRate the share of admitted requests answered 200 with a broken body
 * @param outageStart when the outage begins, measured from server start
 * @param outageDuration how long the outage lasts; zero means no outage
 * @param hangFor how long a hung request stays silent before it is answered normally; zero means forever
 * @param stream how {@code "stream": true} is served: as server-sent events, ignored, or refused
 * @param limitHeaders whether answers carry OpenAI's {@code x-ratelimit-*} headers; without them only a
 *     429 and its {@code retry-after} tell a client about the limits, as with DashScope
 * @param helpRequested whether {@code --help} was given; the caller prints {@link #usage()} instead of starting
 * @param mergeDropRate the share of merged replies ({@link MockMerge}) that leave one answer out
 * @param slots how many admitted requests are served at once, the others waiting their turn in a FIFO queue
 *     (never refused for it), as a self-hosted inference server does; 0 is unlimited
 * @param batch how the Batch API ({@code /v1/files}, {@code /v1/batches}) behaves: its pace, limits and faults
 */
public record MockOptions(String host, int port, List<String> models, Set<String> apiKeys, Set<String> revokedKeys,
                          int embeddingDims, long seed, long latencyMs, double latencySigma, double msPerToken,
                          String encoding, long rpm, long tpm, List<RateLimit> limits, Duration limitWindow,
                          int contextWindow, Map<String, Integer> contextWindows, double errorRate,
                          double resetRate, double hangRate, double malformedRate, Duration outageStart,
                          Duration outageDuration, Duration hangFor, StreamMode stream, boolean limitHeaders,
                          boolean helpRequested, double mergeDropRate, int slots, BatchOptions batch) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8089;
    /** Served by {@code GET /v1/models} when no model list is configured; any model is then accepted. */
    public static final List<String> DEFAULT_MODELS =
            List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "text-embedding-3-small");
    public static final String DEFAULT_ENCODING = "o200k_base";
    /** The encoding value that picks each model's own encoding, as OpenAI does. */
    public static final String AUTO_ENCODING = "auto";
    public static final int DEFAULT_EMBEDDING_DIMS = 16;
    public static final int MAX_EMBEDDING_DIMS = 4096;
    public static final double DEFAULT_LATENCY_SIGMA = 0.3;
    public static final Duration DEFAULT_LIMIT_WINDOW = Duration.ofSeconds(1);
    /** The selector of a {@link RateLimit} that matches every key, or every model. */
    public static final String ANY = "*";
    /** The longest {@code --batch-seconds}: OpenAI's whole completion window. */
    public static final Duration MAX_BATCH_IN_PROGRESS = Duration.ofHours(24);

    /**
     * How a chat request with {@code "stream": true} is served. Real servers differ: OpenAI streams,
     * some compatible servers answer with the ordinary body, some refuse; a client should survive all three.
     */
    public enum StreamMode {
        /**
         * Server-sent events of {@code chat.completion.chunk} objects, as OpenAI sends them, the headers as soon
         * as the answer starts, before its first token (as uvicorn-served vLLM does).
         */
        SSE,
        /**
         * The same events, the headers written with the first token, in one piece with it: as Node's HTTP server
         * does unless told to flush them, and as a cache replaying a stored answer does.
         */
        SSE_AT_FIRST_TOKEN,
        /** The ordinary JSON answer, as if {@code stream} were false. */
        IGNORE,
        /** 400 {@code unsupported_value} with param {@code stream}. */
        REJECT;

        /** The flag value: {@code sse}, {@code sse-at-first-token}, {@code ignore} or {@code reject}. */
        public String flagValue() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Every flag value as a message lists them: {@code sse, sse-at-first-token, ignore or reject}. */
        public static String choices() {
            List<String> flags = Arrays.stream(values()).map(StreamMode::flagValue).toList();
            return String.join(", ", flags.subList(0, flags.size() - 1)) + " or " + flags.get(flags.size() - 1);
        }

        /** Whether a request that asks for a stream gets one. */
        public boolean streams() {
            return this == SSE || this == SSE_AT_FIRST_TOKEN;
        }
    }

    /** @throws IllegalArgumentException naming the first invalid option, its value and the rule */
    public MockOptions {
        models = List.copyOf(models);
        apiKeys = Set.copyOf(apiKeys);
        revokedKeys = Set.copyOf(revokedKeys);
        limits = List.copyOf(limits);
        contextWindows = Map.copyOf(contextWindows);
        check(host != null && !host.isBlank(), "--host must not be empty");
        check(port >= 0 && port <= 65535, "--port must be between 0 and 65535, was " + port);
        for (String model : models) {
            check(!model.isBlank(), "--models must not contain an empty name");
        }
        for (String key : apiKeys) {
            check(!key.isBlank(), "--api-keys must not contain an empty key");
        }
        for (String key : revokedKeys) {
            check(!key.isBlank(), "--revoked-keys must not contain an empty key");
        }
        check(embeddingDims >= 1 && embeddingDims <= MAX_EMBEDDING_DIMS,
                "--embedding-dims must be between 1 and " + MAX_EMBEDDING_DIMS + ", was " + embeddingDims);
        check(latencyMs >= 0, "--latency-ms must be a non-negative integer, was " + latencyMs);
        check(latencySigma >= 0 && latencySigma <= 5, "--latency-sigma must be between 0 and 5, was " + latencySigma);
        check(msPerToken >= 0, "--ms-per-token must be >= 0, was " + msPerToken);
        check(encoding != null && (AUTO_ENCODING.equals(encoding) || TokenEstimator.parseEncoding(encoding).isPresent()),
                "--encoding must be " + AUTO_ENCODING + " or one of " + TokenEstimator.knownEncodings()
                        + ", was '" + encoding + "'");
        check(rpm >= 0, "--rpm must be a non-negative integer, was " + rpm);
        check(tpm >= 0, "--tpm must be a non-negative integer, was " + tpm);
        for (RateLimit limit : limits) {
            check(limit.keySelector() != null && !limit.keySelector().isBlank(),
                    "--limit needs a key or * before '@', was " + limit);
            check(limit.model() != null && !limit.model().isBlank(), "--limit needs a model or * after '@', was " + limit);
            check(limit.rpm() >= 0 && limit.tpm() >= 0, "--limit RPM and TPM must be non-negative integers, was " + limit);
            check(models.isEmpty() || ANY.equals(limit.model()) || models.contains(limit.model()),
                    "--limit names model '" + limit.model() + "', which is not in --models " + models);
        }
        check(limitWindow != null && !limitWindow.isNegative() && !limitWindow.isZero()
                        && limitWindow.compareTo(Duration.ofMinutes(1)) <= 0,
                "--limit-window must be between 1ms and 1m, was " + text(limitWindow));
        check(contextWindow >= 0, "--context-window must be a non-negative integer, was " + contextWindow);
        contextWindows.forEach((model, tokens) -> check(tokens > 0,
                "--context-window for " + model + " must be a positive integer, was " + tokens));
        checkRate("--error-rate", errorRate);
        checkRate("--reset-rate", resetRate);
        checkRate("--hang-rate", hangRate);
        checkRate("--malformed-rate", malformedRate);
        checkRate("--merge-drop-rate", mergeDropRate);
        double faults = errorRate + resetRate + hangRate + malformedRate;
        check(faults <= 1.0 + 1e-9, "--error-rate, --reset-rate, --hang-rate and --malformed-rate must add up"
                + " to at most 1, were " + faults);
        check(outageStart != null && !outageStart.isNegative(), "--outage-start must be >= 0, was " + text(outageStart));
        check(outageDuration != null && !outageDuration.isNegative(),
                "--outage-duration must be >= 0, was " + text(outageDuration));
        check(hangFor != null && !hangFor.isNegative(), "--hang-for must be >= 0, was " + text(hangFor));
        check(stream != null, "--stream must be " + StreamMode.choices() + ", was null");
        check(slots >= 0, "--slots must be a non-negative integer, was " + slots);
        check(batch != null, "the batch options must not be null");
        check(batch.inProgress() != null && !batch.inProgress().isNegative() && !batch.inProgress().isZero()
                        && batch.inProgress().compareTo(MAX_BATCH_IN_PROGRESS) <= 0,
                "--batch-seconds must be more than 0 and at most 86400, was "
                        + (batch.inProgress() == null ? "null" : batch.inProgress().toNanos() / 1e9));
        checkRate("--batch-expire-share", batch.expireShare());
        check(batch.enqueuedTokens() >= 0,
                "--batch-enqueued-tokens must be a non-negative integer, was " + batch.enqueuedTokens());
        check(batch.rpm() >= 0, "--batch-rpm must be a non-negative integer, was " + batch.rpm());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Options from command-line flags ({@code --rpm 600} or {@code --rpm=600}); see {@link #usage()}.
     *
     * @throws IllegalArgumentException naming the flag and the value when a flag is unknown or a value
     *     is malformed or out of range
     */
    public static MockOptions parseArgs(List<String> args) {
        return MockFlags.parse(args);
    }

    /** The flags {@link #parseArgs} accepts, one per line, each with its default. */
    public static String usage() {
        return MockFlags.usage();
    }

    /** The options without any key: keys are counted, limits show fingerprints. */
    @Override
    public String toString() {
        return "MockOptions{host=" + host + ", port=" + port + ", models=" + models
                + ", apiKeys=" + apiKeys.size() + " configured, revokedKeys=" + revokedKeys.size()
                + " configured, rpm=" + rpm + ", tpm=" + tpm + ", limits=" + limits
                + ", limitWindow=" + text(limitWindow) + (limitHeaders ? "" : ", limitHeaders=false")
                + ", stream=" + stream.flagValue() + ", latencyMs=" + latencyMs
                + (slots == 0 ? "" : ", slots=" + slots)
                + (batch.equals(BatchOptions.DEFAULTS) ? "" : ", batch=" + batch) + ", seed=" + seed + "}";
    }

    private static String text(Duration duration) {
        if (duration == null) {
            return "null";
        }
        long millis = duration.toMillis();
        return millis < 0 ? "-" + MockRateLimiter.goDuration(-millis) : MockRateLimiter.goDuration(millis);
    }

    private static void checkRate(String flag, double rate) {
        check(rate >= 0 && rate <= 1, flag + " must be between 0 and 1, was " + rate);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Per-minute limits for one key (or {@link #ANY}) and one model (or {@link #ANY}); 0 is unlimited.
     * The most specific rule wins: key and model, then key and any model, then any key and model,
     * then {@code --rpm}/{@code --tpm}; among equally specific rules the last one.
     */
    public record RateLimit(String keySelector, String model, long rpm, long tpm) {

        /** The rule without the key itself, so it can be logged. */
        @Override
        public String toString() {
            String key = keySelector == null || ANY.equals(keySelector) ? keySelector : MockAuth.fingerprint(keySelector);
            return key + "@" + model + "=" + rpm + "/" + tpm;
        }
    }

    /**
     * The Batch API of the mock ({@link MockBatches}). A real batch takes minutes to hours; the mock runs the
     * same lifecycle in seconds, so a test sees every state without waiting for the provider's clock.
     *
     * @param inProgress how long a batch stays {@code in_progress}, answering its lines evenly over that time;
     *     {@code validating}, {@code finalizing} and {@code cancelling} take a tenth of it each
     * @param expireShare the share of batches that expire: half their lines answered, the rest written to the
     *     error file as {@code batch_expired}, as OpenAI does when the 24 h window runs out
     * @param enqueuedTokens the most tokens (prompt plus {@code max_tokens}) the open batches of one model may
     *     hold; a batch that would pass it fails at once with {@code token_limit_exceeded}; 0 is unlimited
     * @param rpm requests per minute of each key on {@code /v1/files} and {@code /v1/batches}, answered with
     *     429 and {@code retry-after} beyond it; 0 is unlimited
     */
    public record BatchOptions(Duration inProgress, double expireShare, long enqueuedTokens, long rpm) {
        public static final Duration DEFAULT_IN_PROGRESS = Duration.ofSeconds(2);
        public static final BatchOptions DEFAULTS = new BatchOptions(DEFAULT_IN_PROGRESS, 0, 0, 0);

        /** How long {@code validating}, {@code finalizing} and {@code cancelling} last: a tenth of in progress. */
        public Duration stepTime() {
            return inProgress.dividedBy(10);
        }
    }

    /** Collects options; {@link #build()} validates them all. Every option has a default. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private final List<String> models = new ArrayList<>();
        private final Set<String> apiKeys = new LinkedHashSet<>();
        private final Set<String> revokedKeys = new LinkedHashSet<>();
        private int embeddingDims = DEFAULT_EMBEDDING_DIMS;
        private long seed;
        private long latencyMs;
        private double latencySigma = DEFAULT_LATENCY_SIGMA;
        private double msPerToken;
        private String encoding = DEFAULT_ENCODING;
        private long rpm;
        private long tpm;
        private final List<RateLimit> limits = new ArrayList<>();
        private Duration limitWindow = DEFAULT_LIMIT_WINDOW;
        private boolean limitHeaders = true;
        private int contextWindow;
        private final Map<String, Integer> contextWindows = new LinkedHashMap<>();
        private double errorRate;
        private double resetRate;
        private double hangRate;
        private double malformedRate;
        private Duration outageStart = Duration.ZERO;
        private Duration outageDuration = Duration.ZERO;
        private Duration hangFor = Duration.ZERO;
        private StreamMode stream = StreamMode.SSE;
        private boolean helpRequested;
        private double mergeDropRate;
        private int slots;
        private Duration batchInProgress = BatchOptions.DEFAULT_IN_PROGRESS;
        private double batchExpireShare;
        private long batchEnqueuedTokens;
        private long batchRpm;

        private Builder() {}

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder models(Collection<String> models) {
            this.models.clear();
            this.models.addAll(models);
            return this;
        }

        public Builder models(String... models) {
            return models(List.of(models));
        }

        public Builder apiKeys(Collection<String> keys) {
            this.apiKeys.clear();
            this.apiKeys.addAll(keys);
            return this;
        }

        public Builder revokedKeys(Collection<String> keys) {
            this.revokedKeys.clear();
            this.revokedKeys.addAll(keys);
            return this;
        }

        public Builder embeddingDims(int dims) {
            this.embeddingDims = dims;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder latencyMs(long medianMs) {
            this.latencyMs = medianMs;
            return this;
        }

        public Builder latencySigma(double sigma) {
            this.latencySigma = sigma;
            return this;
        }

        public Builder msPerToken(double msPerToken) {
            this.msPerToken = msPerToken;
            return this;
        }

        public Builder encoding(String encoding) {
            this.encoding = encoding;
            return this;
        }

        public Builder rpm(long rpm) {
            this.rpm = rpm;
            return this;
        }

        public Builder tpm(long tpm) {
            this.tpm = tpm;
            return this;
        }

        /** Adds a per-key, per-model limit; {@code keySelector} is the key itself or {@link #ANY}. */
        public Builder limit(String keySelector, String model, long rpm, long tpm) {
            this.limits.add(new RateLimit(keySelector, model, rpm, tpm));
            return this;
        }

        public Builder limitWindow(Duration window) {
            this.limitWindow = window;
            return this;
        }

        public Builder contextWindow(int tokens) {
            this.contextWindow = tokens;
            return this;
        }

        public Builder contextWindow(String model, int tokens) {
            this.contextWindows.put(model, tokens);
            return this;
        }

        public Builder errorRate(double rate) {
            this.errorRate = rate;
            return this;
        }

        public Builder resetRate(double rate) {
            this.resetRate = rate;
            return this;
        }

        public Builder hangRate(double rate) {
            this.hangRate = rate;
            return this;
        }

        public Builder malformedRate(double rate) {
            this.malformedRate = rate;
            return this;
        }

        public Builder outageStart(Duration start) {
            this.outageStart = start;
            return this;
        }

        public Builder outageDuration(Duration duration) {
            this.outageDuration = duration;
            return this;
        }

        /** How long a hung request stays silent before its normal answer; {@link Duration#ZERO} hangs forever. */
        public Builder hangFor(Duration hangFor) {
            this.hangFor = hangFor;
            return this;
        }

        public Builder stream(StreamMode mode) {
            this.stream = mode;
            return this;
        }

        public Builder limitHeaders(boolean send) {
            this.limitHeaders = send;
            return this;
        }

        /** The share of merged replies that leave one answer out. */
        public Builder mergeDropRate(double rate) {
            this.mergeDropRate = rate;
            return this;
        }

        /** How many admitted requests are served at once, the others queued; 0 is unlimited. */
        public Builder slots(int slots) {
            this.slots = slots;
            return this;
        }

        /** How long a batch stays in progress ({@code --batch-seconds}). */
        public Builder batchInProgress(Duration inProgress) {
            this.batchInProgress = inProgress;
            return this;
        }

        /** The share of batches that expire with half their lines answered. */
        public Builder batchExpireShare(double share) {
            this.batchExpireShare = share;
            return this;
        }

        /** The most enqueued tokens of one model's open batches; 0 is unlimited. */
        public Builder batchEnqueuedTokens(long tokens) {
            this.batchEnqueuedTokens = tokens;
            return this;
        }

        /** Requests per minute of each key on the files and batches endpoints; 0 is unlimited. */
        public Builder batchRpm(long rpm) {
            this.batchRpm = rpm;
            return this;
        }

        public Builder helpRequested(boolean help) {
            this.helpRequested = help;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid option, its value and the rule */
        public MockOptions build() {
            return new MockOptions(host, port, models, apiKeys, revokedKeys, embeddingDims, seed, latencyMs,
                    latencySigma, msPerToken, encoding, rpm, tpm, limits, limitWindow, contextWindow, contextWindows,
                    errorRate, resetRate, hangRate, malformedRate, outageStart, outageDuration, hangFor, stream,
                    limitHeaders, helpRequested, mergeDropRate, slots,
                    new BatchOptions(batchInProgress, batchExpireShare, batchEnqueuedTokens, batchRpm));
        }
    }
}
