package io.llmstream.call;

import io.llmstream.call.http.EndpointHeaders;
import io.llmstream.call.http.ExchangeKind;
import io.llmstream.call.http.StreamSwitch;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.Secret;
import org.asynchttpclient.Request;
import org.asynchttpclient.RequestBuilder;
import org.asynchttpclient.uri.Uri;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds {@code POST <base-url>/chat/completions} requests for one endpoint, or those of another
 * {@link ExchangeKind} ({@code /embeddings}).
 *
 * <p>A body is the prompt's body with the provider's model name put first and the stream options last.
 * The parse stage leaves {@code model}, {@code stream} and {@code stream_options} out of a prompt's body,
 * so these are spliced in as bytes around it instead of parsing and writing the body again for every
 * attempt; a body that names them anyway (a prompt's text may) goes the slow, always correct way.
 */
final class ChatRequestFactory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] STREAM = ",\"stream\":true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_WITH_USAGE = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOTHING = new byte[0];
    /** {@code {"model":"<name>"} up to the closing quote, by provider model name. */
    private static final Map<String, byte[]> MODEL_PREFIXES = new ConcurrentHashMap<>();

    private final EndpointSettings endpoint;
    private final String url;
    private final Uri uri;
    private final ExchangeKind kind;

    ChatRequestFactory(EndpointSettings endpoint) {
        this(endpoint, ExchangeKind.CHAT);
    }

    ChatRequestFactory(EndpointSettings endpoint, ExchangeKind kind) {
        this.endpoint = endpoint;
        this.kind = kind;
        this.url = endpoint.baseUrl() + kind.path();
        this.uri = Uri.create(url);
    }

    /** The kind of exchange the requests start. */
    ExchangeKind kind() {
        return kind;
    }

    /**
     * A request for the model's provider name with the prompt's body.
     *
     * @param key the API key to send; null for endpoints without keys
     * @param timeout the whole attempt's timeout
     * @param stream whether to ask for a streamed answer, and for its usage in the last chunk
     */
    Request build(String providerModel, String body, Secret key, Duration timeout, StreamSwitch.Mode stream) {
        RequestBuilder request = new RequestBuilder("POST")
                .setUri(uri)
                .setHeader("Content-Type", "application/json")
                .setHeader("Accept", stream.streams() ? "text/event-stream, application/json" : "application/json")
                .setBody(bodyWithModel(providerModel, body, stream))
                .setRequestTimeout(timeout)
                .setReadTimeout(timeout);
        EndpointHeaders.apply(request, endpoint, key);
        return request.build();
    }

    /** The prompt's body with {@code model} set first, and the stream options when streaming. */
    static byte[] bodyWithModel(String providerModel, String body, StreamSwitch.Mode stream) {
        if (body.contains("\"model\"") || body.contains("\"stream")) {
            return rewrittenBody(providerModel, body, stream);
        }
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        int open = 0;
        while (open < json.length && json[open] != '{') {
            open++;
        }
        int close = json.length - 1;
        while (close > open && json[close] != '}') {
            close--;
        }
        if (close <= open) {
            return rewrittenBody(providerModel, body, stream);
        }
        int first = open + 1;
        while (first < close && json[first] <= ' ') {
            first++;
        }
        boolean hasFields = first < close;
        byte[] prefix = MODEL_PREFIXES.computeIfAbsent(providerModel, ChatRequestFactory::modelPrefix);
        byte[] suffix = stream == StreamSwitch.Mode.STREAM_WITH_USAGE ? STREAM_WITH_USAGE
                : stream.streams() ? STREAM : NOTHING;
        int fieldsLength = close - open - 1;
        byte[] bytes = new byte[prefix.length + (hasFields ? 1 + fieldsLength : 0) + suffix.length + 1];
        System.arraycopy(prefix, 0, bytes, 0, prefix.length);
        int at = prefix.length;
        if (hasFields) {
            bytes[at++] = ',';
            System.arraycopy(json, open + 1, bytes, at, fieldsLength);
            at += fieldsLength;
        }
        System.arraycopy(suffix, 0, bytes, at, suffix.length);
        bytes[at + suffix.length] = '}';
        return bytes;
    }

    private static byte[] modelPrefix(String providerModel) {
        try {
            return ("{\"model\":" + JSON.writeValueAsString(providerModel)).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a model name that cannot be written as JSON: " + providerModel, e);
        }
    }

    /** The body parsed and written again: for a body that names model or stream fields itself. */
    private static byte[] rewrittenBody(String providerModel, String body, StreamSwitch.Mode stream) {
        try {
            ObjectNode json = JSON.createObjectNode().put("model", providerModel);
            json.setAll((ObjectNode) JSON.readTree(body));
            if (stream.streams()) {
                json.put("stream", true);
            }
            if (stream == StreamSwitch.Mode.STREAM_WITH_USAGE) {
                json.putObject("stream_options").put("include_usage", true);
            }
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the parse stage produced a body that is not JSON", e);
        }
    }
}
