package io.llmstream.call.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.asynchttpclient.channel.DefaultKeepAliveStrategy;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's reuse decision, case by case the same as the HTTP client's own strategy. */
class ConnectionReuseTest {
    private static final List<String> CONNECTION_VALUES = Arrays.asList(null, "keep-alive", "close", "Close",
            "KEEP-ALIVE", "upgrade, close", "keep-alive, Upgrade", "closed", "x-close, keep-alive", "");

    @Test
    void decidesAsTheClientsDefaultStrategyForEveryMixOfHeadersAndVersions() {
        ConnectionReuse reuse = new ConnectionReuse();
        DefaultKeepAliveStrategy reference = new DefaultKeepAliveStrategy();
        int cases = 0;
        for (HttpVersion version : List.of(HttpVersion.HTTP_1_1, HttpVersion.HTTP_1_0)) {
            for (String responseConnection : CONNECTION_VALUES) {
                for (String requestConnection : CONNECTION_VALUES) {
                    for (String proxy : Arrays.asList(null, "close", "keep-alive")) {
                        HttpResponse response = new DefaultHttpResponse(version, HttpResponseStatus.OK);
                        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1");
                        if (responseConnection != null) {
                            response.headers().set("Connection", responseConnection);
                        }
                        if (requestConnection != null) {
                            request.headers().set("Connection", requestConnection);
                        }
                        if (proxy != null) {
                            response.headers().set("Proxy-Connection", proxy);
                        }
                        assertThat(reuse.keepAlive(null, null, request, response))
                                .as("%s response, Connection %s / request %s, Proxy-Connection %s", version,
                                        responseConnection, requestConnection, proxy)
                                .isEqualTo(reference.keepAlive(null, null, request, response));
                        cases++;
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(600);
    }

    @Test
    void findsAnOptionInAListAndNotInsideAnotherWord() {
        assertThat(ConnectionReuse.hasOption("Upgrade ,  CLOSE", "close")).isTrue();
        assertThat(ConnectionReuse.hasOption("closed", "close")).isFalse();
        assertThat(ConnectionReuse.hasOption(",", "close")).isFalse();
        assertThat(ConnectionReuse.hasOption(null, "close")).isFalse();
    }
}
