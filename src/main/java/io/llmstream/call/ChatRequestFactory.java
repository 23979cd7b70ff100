package io.llmstream.call;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.Secret;
import org.asynchttpclient.Request;
import org.asynchttpclient.RequestBuilder;

import java.time.Duration;
import java.util.Map;

/**
 * Builds {@code POST <base-url>/chat/completions} requests for one endpoint, or those of another
 * {@link ExchangeKind} ({@code /embeddings}).
 */
final class ChatRequestFactory {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EndpointSettings endpoint;
    private final String url;
    private final ExchangeKind kind;

    ChatRequestFactory(EndpointSettings endpoint) {
        this(endpoint, ExchangeKind.CHAT);
    }

    ChatRequestFactory(EndpointSettings endpoint, ExchangeKind kind) {
        this.endpoint = endpoint;
        this.kind = kind;
        this.url = endpoint.baseUrl() + kind.path();
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
                .setUrl(url)
                .setHeader("Content-Type", "application/json")
                .setHeader("Accept", stream.streams() ? "text/event-stream, application/json" : "application/json")
                .setBody(bodyWithModel(providerModel, body, stream))
                .setRequestTimeout(timeout)
                .setReadTimeout(timeout);
        for (Map.Entry<String, String> header : endpoint.headers().entrySet()) {
            request.setHeader(header.getKey(), header.getValue());
        }
        for (Map.Entry<String, String> parameter : endpoint.query().entrySet()) {
            request.addQueryParam(parameter.getKey(), parameter.getValue());
        }
        if (key != null) {
            if (endpoint.auth() == EndpointSettings.AuthStyle.API_KEY) {
                request.setHeader("api-key", key.reveal());
            } else {
                request.setHeader("Authorization", "Bearer " + key.reveal());
            }
        }
        return request.build();
    }

    /** The prompt's body with {@code model} set first, and the stream options when streaming. */
    static byte[] bodyWithModel(String providerModel, String body, StreamSwitch.Mode stream) {
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
