package io.llmstream.call.http;

import io.llmstream.config.EndpointSettings;
import io.llmstream.config.Secret;
import java.util.Map;
import org.asynchttpclient.RequestBuilder;

/** What every request to an endpoint carries: its configured headers and query parameters, and the API key. */
public final class EndpointHeaders {
    private EndpointHeaders() {}

    /** Adds the endpoint's headers, query parameters and the key (as its auth style says; none when null). */
    public static RequestBuilder apply(RequestBuilder request, EndpointSettings endpoint, Secret key) {
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
        return request;
    }
}
