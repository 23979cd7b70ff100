package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static io.llmstream.local.mock.MockTestClient.awaitStats;
import static io.llmstream.local.mock.MockTestClient.chatBody;
import static io.llmstream.local.mock.MockTestClient.streamBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code inFlight} and {@code maxInFlight}: how many requests a client really had open at once. */
class MockInFlightTest {

    private static final String KEY = "sk-flight";
    private static final String MODEL = "gpt-4o";

    @Test
    void countsConcurrentRequestsAndTheirPeak() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0)
                .latencyMs(500).latencySigma(0).build())) {
            MockTestClient client = new MockTestClient(server);
            List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // Chats, streams and embeddings all count.
                ObjectNode body = switch (i % 3) {
                    case 0 -> chatBody(MODEL, "concurrent " + i);
                    case 1 -> streamBody(MODEL, "concurrent " + i, true);
                    default -> JSON.createObjectNode().put("model", "text-embedding-3-small").put("input", "e" + i);
                };
                String path = i % 3 == 2 ? "/v1/embeddings" : "/v1/chat/completions";
                HttpRequest request = client.request(path, KEY, Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                replies.add(client.http().sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            }

            MockStats during = awaitStats(server, stats -> stats.inFlight() == 20);
            assertThat(during.inFlight()).isEqualTo(20);
            for (CompletableFuture<HttpResponse<String>> reply : replies) {
                assertThat(reply.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }

            MockStats after = server.stats();
            assertThat(after.maxInFlight()).isEqualTo(20);
            assertThat(after.inFlight()).isZero();
            assertThat(after.streamed()).isEqualTo(7);
            server.resetStats();
            assertThat(server.stats().maxInFlight()).isZero();
        }
    }

    @Test
    void aStreamIsInFlightUntilItsLastChunk() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockTestClient client = new MockTestClient(server);
            HttpRequest request = client.request("/v1/chat/completions", KEY, Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            streamBody(MODEL, "[[mock:slow(ms=600)]] streaming", false).toString())).build();

            CompletableFuture<HttpResponse<String>> reply = client.http()
                    .sendAsync(request, HttpResponse.BodyHandlers.ofString());
            MockStats streaming = awaitStats(server, stats -> stats.streamed() == 1);

            assertThat(streaming.inFlight()).as("headers sent, chunks still coming").isEqualTo(1);
            assertThat(reply.get(20, TimeUnit.SECONDS).body()).endsWith("data: [DONE]\n\n");
            assertThat(server.stats().inFlight()).isZero();
            assertThat(server.stats().maxInFlight()).isEqualTo(1);
        }
    }

    @Test
    void aHungRequestLeavesFlightWhenItsClientGivesUp() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).hangRate(1).build())) {
            MockTestClient client = new MockTestClient(server);

            assertThatThrownBy(() -> client.chatWithTimeout(KEY, MODEL, "hang", Duration.ofMillis(300)))
                    .isInstanceOf(HttpTimeoutException.class);

            assertThat(server.stats().maxInFlight()).isEqualTo(1);
            assertThat(awaitStats(server, stats -> stats.inFlight() == 0).inFlight()).isZero();
        }
    }

    @Test
    void refusedRequestsLeaveFlightAtOnce() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockTestClient client = new MockTestClient(server);

            client.chat(null, MODEL, "no key");
            client.chat(KEY, MODEL, "[[mock:503]] refused");
            client.chat(KEY, MODEL, "[[mock:oops]] invalid");
            client.get("/v1/models", KEY);

            MockStats stats = server.stats();
            assertThat(stats.inFlight()).isZero();
            assertThat(stats.maxInFlight()).isEqualTo(1);
            assertThat(client.get("/mock/stats", null).json().get("maxInFlight").asLong()).isEqualTo(1);
        }
    }
}
