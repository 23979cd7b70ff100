package io.llmstream.local.mock;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command-line flags of the mock server: one table gives each flag its value syntax, default and
 * description, so parsing and {@code --help} cannot drift apart. Syntax errors are reported here with
 * the raw value quoted; ranges that a builder could also get wrong are checked by
 * {@link MockOptions.Builder#build()}.
 */
final class MockFlags {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern LIMIT = Pattern.compile("([^@=]+)@([^=]+)=(\\d+)/(\\d+)");
    private static final Pattern MODEL_WINDOW = Pattern.compile("([^=]+)=(\\d+)");

    private record Flag(String name, String value, String defaultValue, String description,
                        BiConsumer<MockOptions.Builder, String> apply) {}

    private static final Map<String, Flag> FLAGS = new LinkedHashMap<>();

    static {
        add("--host", "HOST", MockOptions.DEFAULT_HOST, "address to bind",
                (b, v) -> b.host(v));
        add("--port", "N", String.valueOf(MockOptions.DEFAULT_PORT), "port to bind; 0 picks a free one",
                (b, v) -> b.port((int) integer("--port", v, 0, 65535, "an integer between 0 and 65535")));
        add("--models", "A,B", "any model, listing " + String.join(",", MockOptions.DEFAULT_MODELS),
                "the served models; others get 404 model_not_found",
                (b, v) -> b.models(list("--models", v)));
        add("--api-keys", "K1,K2", "any non-empty key", "the accepted API keys; others get 401 invalid_api_key",
                (b, v) -> b.apiKeys(list("--api-keys", v)));
        add("--revoked-keys", "K3", "none", "keys that get 401 invalid_api_key",
                (b, v) -> b.revokedKeys(list("--revoked-keys", v)));
        add("--seed", "N", "0", "seed of latency and fault draws; same seed and request order, same run",
                (b, v) -> b.seed(integer("--seed", v, Long.MIN_VALUE, Long.MAX_VALUE, "an integer")));
        add("--latency-ms", "N", "0", "median of the log-normal base latency, in milliseconds",
                (b, v) -> b.latencyMs(nonNegative("--latency-ms", v)));
        add("--latency-sigma", "X", String.valueOf(MockOptions.DEFAULT_LATENCY_SIGMA),
                "sigma of the log-normal base latency",
                (b, v) -> b.latencySigma(number("--latency-sigma", v)));
        add("--ms-per-token", "X", "0",
                "milliseconds per completion token: added to a whole answer, spread between a stream's chunks",
                (b, v) -> b.msPerToken(number("--ms-per-token", v)));
        add("--slots", "N", "0, unlimited",
                "requests served at once, the rest wait in a FIFO queue (never 429); latency starts at the slot",
                (b, v) -> b.slots((int) integer("--slots", v, 0, Integer.MAX_VALUE, "a non-negative integer")));
        add("--encoding", "NAME", MockOptions.DEFAULT_ENCODING,
                "token encoding of usage and limits; 'auto' picks each model's own",
                (b, v) -> b.encoding(v));
        add("--rpm", "N", "0, unlimited", "requests per minute for every key and model",
                (b, v) -> b.rpm(nonNegative("--rpm", v)));
        add("--tpm", "N", "0, unlimited", "tokens per minute for every key and model",
                (b, v) -> b.tpm(nonNegative("--tpm", v)));
        add("--limit", "KEY@MODEL=RPM/TPM", "none",
                "limits for one key (or *) and model (or *), repeatable; 0 is unlimited",
                MockFlags::limit);
        add("--limit-window", "DURATION", "1s",
                "period over which per-minute limits are enforced (bucket capacity = limit x window / 1m)",
                (b, v) -> b.limitWindow(duration("--limit-window", v)));
        add("--no-limit-headers", "", "off",
                "send no x-ratelimit-* headers: only a 429 and its retry-after tell of the limits (like DashScope)",
                (b, v) -> b.limitHeaders(false));
        add("--context-window", "N|MODEL=N", "0, unlimited",
                "max prompt + max_tokens, for every model or one model (repeatable)",
                MockFlags::contextWindow);
        add("--embedding-dims", "N", String.valueOf(MockOptions.DEFAULT_EMBEDDING_DIMS), "length of embedding vectors",
                (b, v) -> b.embeddingDims((int) integer("--embedding-dims", v, 1, MockOptions.MAX_EMBEDDING_DIMS,
                        "an integer between 1 and " + MockOptions.MAX_EMBEDDING_DIMS)));
        add("--stream", "MODE", "sse",
                "answer \"stream\": true with server-sent events, their headers before the first token (sse) or with"
                        + " it (sse-at-first-token), the ordinary JSON (ignore) or 400 (reject)",
                MockFlags::stream);
        add("--error-rate", "X", "0", "share of admitted requests answered 500, 502 or 503",
                (b, v) -> b.errorRate(rate("--error-rate", v)));
        add("--reset-rate", "X", "0", "share of admitted requests whose connection is reset (TCP RST)",
                (b, v) -> b.resetRate(rate("--reset-rate", v)));
        add("--hang-rate", "X", "0", "share of admitted requests that hang: not a byte is sent",
                (b, v) -> b.hangRate(rate("--hang-rate", v)));
        add("--hang-for", "DURATION", "0s, forever",
                "how long a hung request stays silent before its normal answer, if the client is still there",
                (b, v) -> b.hangFor(duration("--hang-for", v)));
        add("--malformed-rate", "X", "0", "share of admitted requests answered 200 with a broken body",
                (b, v) -> b.malformedRate(rate("--malformed-rate", v)));
        add("--merge-drop-rate", "X", "0",
                "share of merged replies ({\"prompts\": [...]} in, JSON out) that leave one answer out",
                (b, v) -> b.mergeDropRate(rate("--merge-drop-rate", v)));
        add("--outage-start", "DURATION", "0s", "when the outage begins, from server start",
                (b, v) -> b.outageStart(duration("--outage-start", v)));
        add("--outage-duration", "DURATION", "0s, no outage", "how long every /v1 request gets 503",
                (b, v) -> b.outageDuration(duration("--outage-duration", v)));
        add("--batch-seconds", "X", "2",
                "seconds a batch stays in_progress, its lines answered evenly; validating and finalizing take a tenth",
                (b, v) -> b.batchInProgress(seconds("--batch-seconds", v)));
        add("--batch-expire-share", "X", "0",
                "share of batches that expire: half their lines answered, the rest batch_expired in the error file",
                (b, v) -> b.batchExpireShare(rate("--batch-expire-share", v)));
        add("--batch-enqueued-tokens", "N", "0, unlimited",
                "most prompt + max_tokens tokens of one model's open batches; beyond it token_limit_exceeded",
                (b, v) -> b.batchEnqueuedTokens(nonNegative("--batch-enqueued-tokens", v)));
        add("--batch-rpm", "N", "0, unlimited", "requests per minute of each key on /v1/files and /v1/batches",
                (b, v) -> b.batchRpm(nonNegative("--batch-rpm", v)));
        add("--help", "", "", "print this text and exit", (b, v) -> b.helpRequested(true));
    }

    private MockFlags() {}

    private static void add(String name, String value, String defaultValue, String description,
                            BiConsumer<MockOptions.Builder, String> apply) {
        FLAGS.put(name, new Flag(name, value, defaultValue, description, apply));
    }

    static MockOptions parse(List<String> args) {
        MockOptions.Builder builder = MockOptions.builder();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; flags start with --");
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            Flag flag = FLAGS.get(name);
            if (flag == null) {
                throw new IllegalArgumentException("unknown flag '" + name + "'; run with --help to list the flags");
            }
            String value;
            if (flag.value().isEmpty()) {
                if (eq >= 0) {
                    throw new IllegalArgumentException(name + " takes no value");
                }
                value = "";
            } else if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new IllegalArgumentException(name + " needs a value (" + flag.value() + ")");
            }
            flag.apply().accept(builder, value);
        }
        return builder.build();
    }

    static String usage() {
        StringBuilder out = new StringBuilder("Usage: mock-llm [flags]\n"
                + "An OpenAI-compatible server for demos, tests and benchmarks: deterministic answers,\n"
                + "provider-style rate limits and injected faults. Durations: 500ms, 2s, 1m.\n\nFlags:\n");
        for (Flag flag : FLAGS.values()) {
            String left = "  " + flag.name() + (flag.value().isEmpty() ? "" : " " + flag.value());
            out.append(String.format(Locale.ROOT, "%-38s %s", left, flag.description()));
            if (!flag.defaultValue().isEmpty()) {
                out.append(" (default: ").append(flag.defaultValue()).append(')');
            }
            out.append('\n');
        }
        return out.append("""

                Endpoints: POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models, GET /mock/stats,
                POST /mock/reset. Keys: 'Authorization: Bearer KEY' or 'api-key: KEY'.
                Batch API: POST /v1/files (multipart, purpose=batch), GET and DELETE /v1/files/ID,
                GET /v1/files/ID/content, POST /v1/batches, GET /v1/batches[?limit=N&after=ID], GET /v1/batches/ID,
                POST /v1/batches/ID/cancel. A batch goes validating, in_progress, finalizing, completed in about
                1.2 x --batch-seconds; each line is answered like the same online request, directives included
                (hang: never, so the batch runs until cancelled; hang(ms=N): N ms late).
                Streaming: "stream": true gets server-sent events of chat.completion.chunk objects like OpenAI's
                (first token after the latency, then --ms-per-token per token; a usage chunk with
                stream_options.include_usage; data: [DONE] at the end). Faults on streams: a hang sends not a
                byte, a malformed stream breaks off or carries a chunk that is not JSON.
                Scripted failures: put [[mock:STEP,STEP...]] in the last user message, e.g. [[mock:500x2]] or
                [[mock:429x1(retry-after=2),reset,hang]]. A step is a status 400-599, ok, reset, hang,
                malformed, no_choices, context_length_exceeded or insufficient_quota, answered at once; or an
                answer charged to the limits: hang(ms=N) (silent N ms, then the answer), break (a stream cut
                after half its chunks), pause(ms=N) (N ms after the first chunk), slow(ms=N) (chunks spread over
                N ms) or long(chars=N) (an answer of N characters). xN or x* repeats a step.
                """).toString();
    }

    /** A duration like {@code 500ms}, {@code 2s}, {@code 1.5s} or {@code 1m}. */
    static Duration duration(String flag, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(flag + " must be a duration like 500ms, 2s or 1m, was '" + value + "'");
        }
        BigDecimal amount = new BigDecimal(m.group(1));
        long millisPerUnit = switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        return Duration.ofNanos(amount.multiply(BigDecimal.valueOf(millisPerUnit * 1_000_000L)).longValue());
    }

    /** A positive number of seconds, fractions allowed ({@code 0.25}), as a duration. */
    static Duration seconds(String flag, String value) {
        String error = flag + " must be a positive number of seconds, was '" + value + "'";
        double parsed = parseDoubleOr(value, error);
        if (parsed <= 0) {
            throw new IllegalArgumentException(error);
        }
        return Duration.ofNanos(Math.round(Math.min(parsed, 1e9) * 1e9));
    }

    private static void stream(MockOptions.Builder builder, String value) {
        for (MockOptions.StreamMode mode : MockOptions.StreamMode.values()) {
            if (mode.flagValue().equals(value.trim())) {
                builder.stream(mode);
                return;
            }
        }
        throw new IllegalArgumentException("--stream must be " + MockOptions.StreamMode.choices() + ", was '" + value
                + "'");
    }

    private static void limit(MockOptions.Builder builder, String value) {
        Matcher m = LIMIT.matcher(value.trim());
        if (!m.matches()) {
            // The part before '@' may be a secret: show its fingerprint, never the key.
            int at = value.indexOf('@');
            String shown = at < 0 ? "a value without '@'"
                    : "'" + maskKey(value.substring(0, at)) + value.substring(at) + "'";
            throw new IllegalArgumentException("--limit must look like KEY@MODEL=RPM/TPM (KEY may be *), was " + shown);
        }
        builder.limit(m.group(1), m.group(2), parseLong("--limit", m.group(3)), parseLong("--limit", m.group(4)));
    }

    private static String maskKey(String key) {
        return MockOptions.ANY.equals(key) ? key : MockAuth.fingerprint(key);
    }

    private static void contextWindow(MockOptions.Builder builder, String value) {
        String v = value.trim();
        Matcher m = MODEL_WINDOW.matcher(v);
        String error = "--context-window must be N or MODEL=N with N a non-negative integer, was '" + value + "'";
        if (m.matches()) {
            long tokens = parseLongOr(m.group(2), error);
            if (tokens > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(error);
            }
            builder.contextWindow(m.group(1).trim(), (int) tokens);
        } else if (v.matches("\\d+")) {
            long tokens = parseLongOr(v, error);
            if (tokens > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(error);
            }
            builder.contextWindow((int) tokens);
        } else {
            throw new IllegalArgumentException(error);
        }
    }

    private static List<String> list(String flag, String value) {
        List<String> items = new ArrayList<>();
        for (String item : Arrays.asList(value.split(",", -1))) {
            String trimmed = item.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException(flag + " must be a comma-separated list without empty items");
            }
            items.add(trimmed);
        }
        return items;
    }

    private static long nonNegative(String flag, String value) {
        return integer(flag, value, 0, Long.MAX_VALUE, "a non-negative integer");
    }

    private static long integer(String flag, String value, long min, long max, String what) {
        String error = flag + " must be " + what + ", was '" + value + "'";
        long parsed = parseLongOr(value.trim(), error);
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(error);
        }
        return parsed;
    }

    private static long parseLong(String flag, String value) {
        return parseLongOr(value, flag + " must be a non-negative integer, was '" + value + "'");
    }

    private static long parseLongOr(String value, String error) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(error, e);
        }
    }

    private static double number(String flag, String value) {
        double parsed = parseDoubleOr(value, flag + " must be a non-negative number, was '" + value + "'");
        if (parsed < 0) {
            throw new IllegalArgumentException(flag + " must be a non-negative number, was '" + value + "'");
        }
        return parsed;
    }

    private static double rate(String flag, String value) {
        String error = flag + " must be a number between 0 and 1, was '" + value + "'";
        double parsed = parseDoubleOr(value, error);
        if (parsed < 0 || parsed > 1) {
            throw new IllegalArgumentException(error);
        }
        return parsed;
    }

    private static double parseDoubleOr(String value, String error) {
        try {
            double parsed = Double.parseDouble(value.trim());
            if (Double.isNaN(parsed) || Double.isInfinite(parsed)) {
                throw new IllegalArgumentException(error);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(error, e);
        }
    }
}
