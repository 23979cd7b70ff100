package io.llmstream.call.http;

import io.llmstream.TestConfigs;
import io.llmstream.config.HttpSettings;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.asynchttpclient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The HTTP client works on Linux's epoll and, where that cannot load, on Java's NIO. */
class HttpClientTransportTest {

    @ParameterizedTest(name = "epoll {0}")
    @ValueSource(booleans = {false, true})
    void theClientAnswersOnEitherTransport(boolean epoll) throws Exception {
        assumeTrue(!epoll || io.netty.channel.epoll.Epoll.isAvailable(), "epoll does not load here");
        HttpSettings settings = TestConfigs.withEndpoint("http://127.0.0.1:9/v1", "models: {m: {endpoint: mock}}")
                .http();
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).build());
                AsyncHttpClient client = Dsl.asyncHttpClient(SharedHttpClient.clientConfig(settings, epoll))) {
            Response models = client.prepareGet(mock.baseUrl() + "/models").addHeader("Authorization", "Bearer sk-test")
                    .execute().get(10, TimeUnit.SECONDS);

            assertThat(models.getStatusCode()).isEqualTo(200);
            assertThat(models.getResponseBody()).contains("\"data\"");
        }
    }

    @Test
    void onLinuxOnX8664TheSocketsAreEpolls() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64"),
                "not Linux on x86-64");
        assertThat(io.netty.channel.epoll.Epoll.isAvailable()).as("the native library of netty-transport-native-epoll"
                + " loads").isTrue();
    }
}
