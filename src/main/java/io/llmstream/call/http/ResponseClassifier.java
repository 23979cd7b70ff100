package io.llmstream.call.http;

import io.llmstream.call.ChatAnswer;
import io.llmstream.call.embed.EmbeddingVectors;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.limit.ProviderLimits;
import io.llmstream.record.ErrorKind;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.asynchttpclient.Response;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/** Turns an HTTP response or an I/O failure into an {@link AttemptOutcome}. */
public final class ResponseClassifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much of an unparsable body a dead letter shows. */
    static final int BODY_EXCERPT_CHARS = 200;

    private static final String RATE_LIMIT = "x-ratelimit-";
    private static final String PROCESSING_MS = "openai-processing-ms";

    private ResponseClassifier() {}

    public static AttemptOutcome classify(Response response, Instant now) {
        return classify(response, now, ExchangeKind.CHAT);
    }

    /** As {@link #classify(Response, Instant)}, reading a successful body as the kind of exchange answers. */
    public static AttemptOutcome classify(Response response, Instant now, ExchangeKind kind) {
        return classifyStatus(response, now, kind).withLimits(providerLimits(response));
    }

    private static AttemptOutcome classifyStatus(Response response, Instant now, ExchangeKind exchange) {
        int status = response.getStatusCode();
        byte[] body = response.getResponseBodyAsBytes();
        if (status >= 200 && status < 300) {
            return exchange == ExchangeKind.EMBEDDINGS ? parseEmbeddings(body) : parseAnswer(body);
        }
        Duration retryAfter = RetryAfter.fromHeaders(response::getHeader, now).orElse(null);
        return ProviderError.behindStatus(status, readError(body), excerpt(body), retryAfter);
    }

    /**
     * A successful answer's body that came another way than an online response (a line of a Batch API output
     * file): the answer, or why it is malformed or an error.
     */
    public static AttemptOutcome classifyBody(byte[] body, ExchangeKind kind) {
        return kind == ExchangeKind.EMBEDDINGS ? parseEmbeddings(body) : parseAnswer(body);
    }

    public static AttemptOutcome classify(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String name = cause.getClass().getSimpleName();
        String message = name + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        if (cause instanceof TimeoutException) {
            return AttemptOutcome.failure(ErrorKind.TIMEOUT, 0, null, message, true, null);
        }
        if (cause instanceof ConnectException || cause instanceof UnknownHostException || cause instanceof IOException) {
            return AttemptOutcome.failure(ErrorKind.CONNECTION, 0, null, message, true, null);
        }
        return AttemptOutcome.failure(ErrorKind.INTERNAL, 0, null, message, false, null);
    }

    /**
     * A chat completion's body, read with a streaming parser: the first choice's message (content, tool calls),
     * its finish reason and the usage; everything else is skipped, not built into a tree.
     */
    static AttemptOutcome parseAnswer(byte[] body) {
        String content = null;
        boolean hasMessage = false;
        String toolCalls = null;
        String finishReason = null;
        int promptTokens = -1;
        int completionTokens = -1;
        int totalTokens = Integer.MIN_VALUE;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return malformed("the body has no choices[0].message", body);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("choices") && value == JsonToken.START_ARRAY) {
                    boolean first = true;
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        if (!first || parser.currentToken() != JsonToken.START_OBJECT) {
                            parser.skipChildren();
                            first = false;
                            continue;
                        }
                        first = false;
                        while (parser.nextToken() == JsonToken.FIELD_NAME) {
                            String choiceField = parser.currentName();
                            JsonToken choiceValue = parser.nextToken();
                            if (choiceField.equals("message") && choiceValue == JsonToken.START_OBJECT) {
                                hasMessage = true;
                                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                    String messageField = parser.currentName();
                                    JsonToken messageValue = parser.nextToken();
                                    if (messageField.equals("content") && messageValue != JsonToken.VALUE_NULL) {
                                        content = scalarText(parser, messageValue);
                                    } else if (messageField.equals("tool_calls") && messageValue == JsonToken.START_ARRAY) {
                                        JsonNode calls = parser.readValueAsTree();
                                        toolCalls = calls.isEmpty() ? null : calls.toString();
                                    } else {
                                        parser.skipChildren();
                                    }
                                }
                            } else if (choiceField.equals("finish_reason")) {
                                finishReason = choiceValue == JsonToken.VALUE_NULL ? null
                                        : scalarText(parser, choiceValue);
                            } else {
                                parser.skipChildren();
                            }
                        }
                    }
                } else if (field.equals("error") && value == JsonToken.START_OBJECT) {
                    return ProviderError.insideAnswer(parser.readValueAsTree(), "in the body");
                } else if (field.equals("usage") && value == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String usageField = parser.currentName();
                        JsonToken usageValue = parser.nextToken();
                        boolean number = usageValue.isNumeric() || usageValue == JsonToken.VALUE_STRING;
                        switch (usageField) {
                            case "prompt_tokens" -> promptTokens = number ? parser.getValueAsInt(-1) : -1;
                            case "completion_tokens" -> completionTokens = number ? parser.getValueAsInt(-1) : -1;
                            case "total_tokens" -> totalTokens = number
                                    ? parser.getValueAsInt(Integer.MIN_VALUE) : Integer.MIN_VALUE;
                            default -> parser.skipChildren();
                        }
                    }
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            return malformed("the body is not JSON", body);
        }
        if (!hasMessage) {
            return malformed("the body has no choices[0].message", body);
        }
        if (content == null && toolCalls == null) {
            return malformed("choices[0].message has neither content nor tool_calls", body);
        }
        if (totalTokens == Integer.MIN_VALUE) {
            totalTokens = promptTokens >= 0 && completionTokens >= 0 ? promptTokens + completionTokens : -1;
        }
        return AttemptOutcome.success(new ChatAnswer(content, finishReason, toolCalls, promptTokens,
                completionTokens, totalTokens), ProviderLimits.NONE);
    }

    /** A scalar's text, as a tree's {@code asText()} gives it; an object or array reads as empty. */
    private static String scalarText(JsonParser parser, JsonToken value) throws IOException {
        if (value.isScalarValue()) {
            return parser.getText();
        }
        parser.skipChildren();
        return "";
    }

    /** An embeddings answer: its vectors by index and its usage; a body without them is malformed. */
    private static AttemptOutcome parseEmbeddings(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return malformed("the body is not JSON", body);
        }
        if (root != null && root.path("error").isObject()) {
            return ProviderError.insideAnswer(root.get("error"), "in the body");
        }
        String[] problem = new String[1];
        EmbeddingVectors vectors = EmbeddingVectors.read(root == null ? null : root.get("data"), problem);
        if (vectors == null) {
            return malformed(problem[0], body);
        }
        int promptTokens = root.path("usage").path("prompt_tokens").asInt(-1);
        return AttemptOutcome.success(new ChatAnswer(null, null, null, promptTokens, 0, promptTokens, vectors),
                ProviderLimits.NONE);
    }

    /**
     * OpenAI's and Azure's {@code x-ratelimit-*} headers (the limits and the time to a full budget) and
     * {@code openai-processing-ms}, which dates them.
     */
    static ProviderLimits providerLimits(Response response) {
        return providerLimits(response.getHeaders());
    }

    /**
     * As {@link #providerLimits(Response)}, from a response's headers, read in one pass: every answer is read
     * for them, and most providers send none or a handful.
     */
    static ProviderLimits providerLimits(HttpHeaders headers) {
        if (headers == null || headers.isEmpty()) {
            return ProviderLimits.NONE;
        }
        String limitRequests = null;
        String limitTokens = null;
        String resetRequests = null;
        String resetTokens = null;
        String processing = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> entries = headers.iteratorCharSequence();
        while (entries.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = entries.next();
            CharSequence name = header.getKey();
            if (startsWithIgnoreCase(name, RATE_LIMIT)) {
                String rest = name.subSequence(RATE_LIMIT.length(), name.length()).toString().toLowerCase(Locale.ROOT);
                String value = header.getValue().toString();
                switch (rest) {
                    case "limit-requests" -> limitRequests = value;
                    case "limit-tokens" -> limitTokens = value;
                    case "reset-requests" -> resetRequests = value;
                    case "reset-tokens" -> resetTokens = value;
                    default -> { }
                }
            } else if (AsciiString.contentEqualsIgnoreCase(name, PROCESSING_MS)) {
                processing = header.getValue().toString();
            }
        }
        if (limitRequests == null && limitTokens == null && resetRequests == null && resetTokens == null
                && processing == null) {
            return ProviderLimits.NONE;
        }
        return new ProviderLimits(number(limitRequests), number(limitTokens),
                RetryAfter.parseGoDuration(resetRequests).orElse(null),
                RetryAfter.parseGoDuration(resetTokens).orElse(null), millis(processing));
    }

    private static boolean startsWithIgnoreCase(CharSequence text, String prefix) {
        if (text.length() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (Character.toLowerCase(text.charAt(i)) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** As {@link #providerLimits(Response)}, from a header lookup (case-insensitive; null if absent). */
    static ProviderLimits providerLimits(java.util.function.Function<String, String> header) {
        return new ProviderLimits(
                number(header.apply("x-ratelimit-limit-requests")),
                number(header.apply("x-ratelimit-limit-tokens")),
                RetryAfter.parseGoDuration(header.apply("x-ratelimit-reset-requests")).orElse(null),
                RetryAfter.parseGoDuration(header.apply("x-ratelimit-reset-tokens")).orElse(null),
                millis(header.apply("openai-processing-ms")));
    }

    private static Duration millis(String header) {
        long millis = number(header);
        return millis < 0 ? null : Duration.ofMillis(millis);
    }

    private static long number(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static AttemptOutcome malformed(String what, byte[] body) {
        return AttemptOutcome.failure(ErrorKind.MALFORMED_RESPONSE, 200, null,
                what + "; body starts with: " + excerpt(body), true, null);
    }

    private static JsonNode readError(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            return root != null && root.path("error").isObject() ? root.get("error") : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    static String excerpt(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, BODY_EXCERPT_CHARS * 4), StandardCharsets.UTF_8);
        return text.length() > BODY_EXCERPT_CHARS ? text.substring(0, BODY_EXCERPT_CHARS) + "..." : text;
    }
}
