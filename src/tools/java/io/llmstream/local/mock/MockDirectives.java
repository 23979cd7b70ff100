package io.llmstream.local.mock;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scripts carried in the prompt, for scenario tests that need exact failures in a known order: the
 * last user message holds a directive, and the requests carrying that exact text play its steps one
 * request at a time, then succeed.
 *
 * <pre>
 * directive := "[[mock:" step ("," step)* "]]"
 * step      := action [ "x" count ] [ "(" param (";" param)* ")" ]
 * action    := a status from 400 to 599      an error answer with OpenAI's body for that status
 *            | "ok"                          a normal answer
 *            | "reset"                       the connection is aborted with a TCP RST
 *            | "hang"                        no answer; the connection stays open
 *            | "hang(ms=N)"                  not a byte for N ms, then the normal answer
 *            | "malformed"                   200 with a body cut off in the middle of the JSON; to a
 *                                            streamed request, a stream whose middle chunk is cut off
 *            | "no_choices"                  200 with valid JSON that has no "choices", streamed or not
 *            | "context_length_exceeded"     400 with code context_length_exceeded
 *            | "insufficient_quota"          429 with type and code insufficient_quota
 *            | "flagged"                     400 invalid_request_error, code invalid_prompt ("Invalid prompt:
 *                                            flagged."), as a moderation refusal
 *            | "closes"                      a normal answer, after which the server takes its connection for
 *                                            closed without saying so (no Connection: close): the next request
 *                                            on it is dropped unread and the connection closed, as by a server
 *                                            that closes after every stream (llama.cpp's llama-server)
 *            | "break"                       a stream that stops after about half of its chunks and closes
 *                                            the connection; unstreamed, half the JSON, then the close
 *            | "pause(ms=N)"                 a stream that sends its first chunk, pauses N ms, then the rest;
 *                                            unstreamed, the answer N ms later than usual
 *            | "slow(ms=N)"                  a healthy but long generation: the chunks spread evenly over
 *                                            N ms, at least every min(N/10, 200) ms; unstreamed, after N ms
 *            | "long(chars=N)"               a normal answer of exactly N characters: the usual answer,
 *                                            then filler ({@link MockAnswers#longContentFor})
 *            | "not_json"                    to a request for JSON (response_format), the usual prose answer
 *            | "off_schema"                  to a json_schema request, JSON its schema does not allow
 *                                            ({@link MockJsonAnswers})
 *            | "no_vector"                   embeddings: this input's item is left out of the answer
 *            | "dup_index"                   embeddings: this input's item carries the index of the next
 *                                            input (of the one before, for the last), which so comes twice
 * count     := a positive integer (default 1) | "*" (this step for every later request)
 * param     := "retry-after=" seconds              retry-after: N
 *            | "retry-after=date+" seconds ["s"]   retry-after: the HTTP date N seconds from the answer
 *            | "retry-after-ms=" milliseconds      retry-after-ms: N
 *            | "in-200"                            the error object inside a 200 answer instead of behind
 *                                                  its status: one event of an event stream to a streamed
 *                                                  request, the body of a plain one (as some
 *                                                  OpenAI-compatible servers and gateways send errors)
 * </pre>
 *
 * <p>For example {@code [[mock:500x2]]}: the first two requests with this prompt get 500, the third
 * succeeds; {@code [[mock:429x1(retry-after=2),500x1]]}: a 429 with {@code retry-after: 2}, a 500,
 * then success. The retry parameters apply to status steps and {@code insufficient_quota}; without
 * them no {@code retry-after} header is sent, so a client's own backoff is exercised. The params may
 * also stand before the count ({@code 429(retry-after-ms=300)x3}). Only the first directive of a
 * text counts, and only valid requests advance a script.
 *
 * <p>Two kinds of steps. Refusals (a status, {@code reset}, plain {@code hang}, {@code malformed},
 * {@code no_choices}, {@code context_length_exceeded}, {@code insufficient_quota}) answer at once and
 * are not charged to the rate limits. Answers ({@code ok}, {@code hang(ms=N)}, {@code break},
 * {@code pause}, {@code slow}, {@code long}) go the normal way: context window, rate limits (a 429
 * uses up the step), latency and tokens, so a test of a slow or broken stream also sees the limits it
 * would meet in production. Random faults hit {@code ok}, {@code pause}, {@code slow} and {@code long}
 * like any answer; {@code break} and {@code hang(ms=N)} are faults themselves and take the place of
 * the random draw. Every request after the script goes the normal way. Progress is kept per exact
 * text for the life of the server (it survives a stats reset); a malformed directive gets a 400 that
 * says what is wrong.
 *
 * <p>A line of a batch ({@link MockBatches}) plays the script of its prompt when its turn comes, sharing the
 * progress with online requests: a status, {@code insufficient_quota}, {@code flagged} or
 * {@code context_length_exceeded} answers the line with that error, {@code hang} never answers it (its batch
 * stays in progress until it is cancelled or expires), {@code hang(ms=N)} answers it N ms late, and the
 * answer steps shape its answer as online; the steps only a connection can show ({@code reset},
 * {@code malformed}, {@code break}, {@code closes}, {@code pause}, {@code slow}) leave it answered normally.
 */
final class MockDirectives {

    static final String PREFIX = "[[mock:";
    private static final Pattern DIRECTIVE = Pattern.compile("\\[\\[mock:(.*?)]]", Pattern.DOTALL);
    private static final Pattern STEP = Pattern.compile(
            "([a-z_]+|\\d{3})(?:\\(([^)]*)\\))?(?:x(\\d+|\\*))?(?:\\(([^)]*)\\))?");
    private static final Pattern DATE_OFFSET = Pattern.compile("date\\+(\\d+)s?");
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The longest {@code ms} of hang, pause and slow: as long as the longest latency the mock draws. */
    static final long MAX_MS = 10 * 60 * 1000;
    /** The longest {@code long} answer: big enough to stress a client, small enough for the mock's memory. */
    static final long MAX_CHARS = 20_000_000;

    /** What a step does. */
    enum Action {
        OK, STATUS, RESET, HANG, MALFORMED, NO_CHOICES, CONTEXT_LENGTH_EXCEEDED, INSUFFICIENT_QUOTA, BREAK, PAUSE,
        SLOW, LONG, NOT_JSON, OFF_SCHEMA, NO_VECTOR, DUP_INDEX, FLAGGED, CLOSES
    }

    /**
     * One step: its action, the status of a {@link Action#STATUS} step, how many requests it covers
     * ({@code -1} for all later ones), the optional retry headers, the {@code ms} of hang, pause and
     * slow, the {@code chars} of long, and whether an error goes inside a 200 answer ({@code in-200}).
     */
    record Step(Action action, int status, long count, Long retryAfterSeconds, Long retryAfterDateSeconds,
                Long retryAfterMs, Long ms, Long chars, boolean in200) {

        Step(Action action, int status, long count, Long retryAfterSeconds, Long retryAfterDateSeconds,
             Long retryAfterMs, Long ms, Long chars) {
            this(action, status, count, retryAfterSeconds, retryAfterDateSeconds, retryAfterMs, ms, chars, false);
        }

        Step(Action action, int status, long count, Long retryAfterSeconds, Long retryAfterDateSeconds,
             Long retryAfterMs) {
            this(action, status, count, retryAfterSeconds, retryAfterDateSeconds, retryAfterMs, null, null);
        }

        /** Whether this step is an answer, admitted and charged like any request, rather than a refusal. */
        boolean charged() {
            return switch (action) {
                case OK, BREAK, PAUSE, SLOW, LONG, NOT_JSON, OFF_SCHEMA, NO_VECTOR, DUP_INDEX, CLOSES -> true;
                case HANG -> ms != null;
                default -> false;
            };
        }

        /** The retry headers of this step, an HTTP date computed from {@code now}. */
        Map<String, String> headers(Instant now) {
            Map<String, String> headers = new LinkedHashMap<>();
            if (retryAfterSeconds != null) {
                headers.put("retry-after", String.valueOf(retryAfterSeconds));
            } else if (retryAfterDateSeconds != null) {
                // Round up to the next whole second, so the date is never earlier than promised.
                Instant at = now.plusSeconds(retryAfterDateSeconds);
                if (at.getNano() > 0) {
                    at = at.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
                }
                headers.put("retry-after", HTTP_DATE.format(at));
            }
            if (retryAfterMs != null) {
                headers.put("retry-after-ms", String.valueOf(retryAfterMs));
            }
            return headers;
        }
    }

    private record Progress(List<Step> steps, AtomicLong seen) {}

    private final ConcurrentHashMap<String, Progress> progress = new ConcurrentHashMap<>();

    /**
     * The step for this request, advancing the script of its exact text; empty when the text has no
     * directive or its script has played out.
     *
     * @throws IllegalArgumentException when the directive is malformed
     */
    Optional<Step> next(String text) {
        if (text == null || !text.contains(PREFIX)) {
            return Optional.empty();
        }
        Progress script = progress.computeIfAbsent(text, t -> new Progress(parse(t), new AtomicLong()));
        long n = script.seen().getAndIncrement();
        for (Step step : script.steps()) {
            if (step.count() < 0 || n < step.count()) {
                return Optional.of(step);
            }
            n -= step.count();
        }
        return Optional.empty();
    }

    /**
     * Takes back the step {@link #next} last gave for this text, which did not play (another input's refusal
     * answered the request it came in), so the text's script plays it in its next request.
     */
    void giveBack(String text) {
        Progress script = text == null ? null : progress.get(text);
        if (script != null) {
            script.seen().decrementAndGet();
        }
    }

    /** The steps of the first directive in a text; empty when there is none. */
    static List<Step> parse(String text) {
        Matcher m = DIRECTIVE.matcher(text);
        if (!m.find()) {
            return List.of();
        }
        String body = m.group(1);
        List<Step> steps = new ArrayList<>();
        for (String raw : splitTopLevel(body)) {
            steps.add(parseStep(raw.trim(), m.group()));
        }
        return List.copyOf(steps);
    }

    private static Step parseStep(String raw, String directive) {
        Matcher m = STEP.matcher(raw.toLowerCase(Locale.ROOT));
        if (raw.isEmpty() || !m.matches() || (m.group(2) != null && m.group(4) != null)) {
            throw invalid(directive, "step '" + raw + "' is not ACTION[xCOUNT][(PARAMS)]");
        }
        String name = m.group(1);
        Action action;
        int status = 0;
        if (Character.isDigit(name.charAt(0))) {
            status = Integer.parseInt(name);
            if (status < 400 || status > 599) {
                throw invalid(directive, "status " + status + " is not between 400 and 599");
            }
            action = Action.STATUS;
        } else {
            try {
                action = Action.valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw invalid(directive, "unknown action '" + name + "'; use a status 400-599, ok, reset, hang,"
                        + " malformed, no_choices, context_length_exceeded, insufficient_quota, flagged, closes, break, pause,"
                        + " slow, long, not_json, off_schema, no_vector or dup_index");
            }
            if (action == Action.STATUS) {
                throw invalid(directive, "unknown action '" + name + "'");
            }
        }
        long count = 1;
        if (m.group(3) != null) {
            count = "*".equals(m.group(3)) ? -1 : parseCount(m.group(3), directive);
        }
        String params = m.group(2) != null ? m.group(2) : m.group(4);
        Long retryAfter = null;
        Long retryAfterDate = null;
        Long retryAfterMs = null;
        Long ms = null;
        Long chars = null;
        boolean in200 = false;
        if (params != null) {
            for (String param : params.split("[;,]")) {
                String[] kv = param.trim().split("=", 2);
                String key = kv[0].trim();
                String value = kv.length == 2 ? kv[1].trim() : "";
                switch (action) {
                    case STATUS, INSUFFICIENT_QUOTA, FLAGGED -> {
                        switch (key) {
                            case "in-200" -> in200 = true;
                            case "retry-after" -> {
                                Matcher date = DATE_OFFSET.matcher(value);
                                if (date.matches()) {
                                    retryAfterDate = parseNumber(date.group(1), param, directive);
                                } else {
                                    retryAfter = parseNumber(value, param, directive);
                                }
                            }
                            case "retry-after-ms" -> retryAfterMs = parseNumber(value, param, directive);
                            default -> throw invalid(directive, "unknown parameter '" + param.trim()
                                    + "'; use retry-after=N, retry-after=date+N, retry-after-ms=N or in-200");
                        }
                    }
                    case HANG, PAUSE, SLOW -> {
                        if (!key.equals("ms")) {
                            throw invalid(directive, "unknown parameter '" + param.trim() + "' of " + name
                                    + "; use ms=N");
                        }
                        ms = parseBounded(value, param, 0, MAX_MS, directive);
                    }
                    case LONG -> {
                        if (!key.equals("chars")) {
                            throw invalid(directive, "unknown parameter '" + param.trim() + "' of long; use chars=N");
                        }
                        chars = parseBounded(value, param, 1, MAX_CHARS, directive);
                    }
                    default -> throw invalid(directive, "parameters apply only to status steps, insufficient_quota,"
                            + " flagged, hang, pause, slow and long, not " + name);
                }
            }
        }
        if ((action == Action.PAUSE || action == Action.SLOW) && ms == null) {
            throw invalid(directive, name + " needs its duration: " + name + "(ms=N)");
        }
        if (action == Action.LONG && chars == null) {
            throw invalid(directive, "long needs its length: long(chars=N)");
        }
        return new Step(action, status, count, retryAfter, retryAfterDate, retryAfterMs, ms, chars, in200);
    }

    /** Splits on commas outside parentheses, so {@code 429(retry-after=1,retry-after-ms=5),500} has two steps. */
    private static List<String> splitTopLevel(String body) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth = Math.max(0, depth - 1);
            } else if (c == ',' && depth == 0) {
                parts.add(body.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(body.substring(start));
        return parts;
    }

    private static long parseCount(String value, String directive) {
        long count = parseNumber(value, "x" + value, directive);
        if (count < 1) {
            throw invalid(directive, "count x" + value + " must be at least 1");
        }
        return count;
    }

    private static long parseNumber(String value, String what, String directive) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(directive, "'" + what.trim() + "' needs a non-negative whole number");
    }

    private static long parseBounded(String value, String what, long min, long max, String directive) {
        long parsed = parseNumber(value, what, directive);
        if (parsed < min || parsed > max) {
            throw invalid(directive, "'" + what.trim() + "' must be between " + min + " and " + max);
        }
        return parsed;
    }

    private static IllegalArgumentException invalid(String directive, String reason) {
        return new IllegalArgumentException("invalid mock directive " + directive + ": " + reason);
    }
}
