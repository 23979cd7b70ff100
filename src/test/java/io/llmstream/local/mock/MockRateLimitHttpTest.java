package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.llmstream.local.mock.MockTestClient.chatBody;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits over a real socket. 1200 RPM over a 500 ms window is a bucket of 10 requests refilled
 * at 20 per second; counts are checked against that arithmetic with a margin for the machine, and
 * the structure of every 429 exactly.
 */
class MockRateLimitHttpTest {

    private static final String MODEL = "gpt-4o-mini";
    private static final int CAPACITY = 10;
    private static final double PER_SECOND = 20;
    private static final String GO_DURATION = "(\\d+h)?(\\d+m)?(\\d+(\\.\\d+)?s|\\d+ms)";
    private static final TokenEstimator O200K = TokenEstimator.forEncoding("o200k_base");
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.parseArgs(List.of("--port", "0", "--rpm", "1200",
                "--tpm", "1000000", "--limit-window", "500ms", "--limit", "tok-key@gpt-4o=0/6000",
                "--limit", "special@" + MODEL + "=60/0")));
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void sendingFasterThanTheLimitGets429sAtTheBucketRate() throws Exception {
        String key = "burst-key";
        List<MockTestClient.Reply> replies = new ArrayList<>();
        long start = System.nanoTime();
        while (System.nanoTime() - start < 1_000_000_000L && replies.size() < 5_000) {
            replies.add(client.chat(key, MODEL, "burst " + replies.size()));
        }
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;

        long ok = replies.stream().filter(r -> r.status() == 200).count();
        long limited = replies.stream().filter(r -> r.status() == 429).count();
        assertThat(ok + limited).isEqualTo(replies.size());
        assertThat(replies.subList(0, CAPACITY)).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
        assertThat(limited).isPositive();
        assertThat(ok).isLessThanOrEqualTo(CAPACITY + (long) Math.floor(PER_SECOND * elapsedSeconds) + 1);
        assertThat(ok).isGreaterThanOrEqualTo(CAPACITY + (long) Math.floor(PER_SECOND * elapsedSeconds) - 4);
        for (MockTestClient.Reply reply : replies) {
            if (reply.status() == 429) {
                assertRequestsRefusal(reply);
            }
        }
        MockStats.KeyModel stats = server.stats().keyModel(key, MODEL);
        assertThat(stats.admitted()).isEqualTo(ok);
        assertThat(stats.rateLimited()).isEqualTo(limited);
        assertThat(stats.requests()).isEqualTo(replies.size());
        assertThat(stats.peakRequests1s()).isBetween((long) CAPACITY, CAPACITY + (long) PER_SECOND + 1);
    }

    private static void assertRequestsRefusal(MockTestClient.Reply reply) {
        assertThat(reply.header("retry-after")).isEqualTo("1");
        assertThat(Long.parseLong(reply.header("retry-after-ms"))).isBetween(1L, 50L);
        assertThat(reply.header("x-ratelimit-limit-requests")).isEqualTo("1200");
        assertThat(reply.header("x-ratelimit-limit-tokens")).isEqualTo("1000000");
        assertThat(reply.header("x-ratelimit-remaining-requests")).isEqualTo("0");
        assertThat(reply.header("x-ratelimit-remaining-tokens")).matches("\\d+");
        assertThat(reply.header("x-ratelimit-reset-requests")).matches(GO_DURATION);
        assertThat(reply.header("x-ratelimit-reset-tokens")).matches(GO_DURATION);
        JsonNode error = reply.assertOpenAiError(429, "requests", "rate_limit_exceeded");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.get("message").asText()).matches("Rate limit reached for " + MODEL + " in organization"
                + " org-mock on requests per min \\(RPM\\): Limit 1200, Used \\d+, Requested 1\\."
                + " Please try again in " + reply.header("retry-after-ms") + "ms\\.");
    }

    @Test
    void concurrentClientsShareOneBucket() {
        String key = "crowd-key";
        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            HttpRequest request = client.request("/v1/chat/completions", key, MockTestClient.DEFAULT_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(chatBody(MODEL, "crowd " + i).toString())).build();
            futures.add(client.http().sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        long ok = futures.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 200).count();
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;

        assertThat(ok).isBetween((long) CAPACITY, CAPACITY + (long) Math.floor(PER_SECOND * elapsedSeconds) + 1);
        assertThat(server.stats().keyModel(key, MODEL).admitted()).isEqualTo(ok);
    }

    @Test
    void tokenLimitChargesPromptPlusMaxTokens() throws Exception {
        // 6000 TPM over 500 ms: 50 tokens of capacity, 100 more per second; no request limit for this key.
        ObjectNode body = chatBody("gpt-4o", "hi").put("max_tokens", 40);
        int cost = O200K.estimatePrompt(body) + 40;
        assertThat(cost).isBetween(26, 50);

        MockTestClient.Reply first = client.post("/v1/chat/completions", "tok-key", body);
        MockTestClient.Reply second = client.post("/v1/chat/completions", "tok-key", body);

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("x-ratelimit-limit-tokens")).isEqualTo("6000");
        assertThat(first.header("x-ratelimit-remaining-tokens")).isEqualTo(String.valueOf(50 - cost));
        assertThat(first.header("x-ratelimit-reset-tokens")).isEqualTo(cost * 10 + "ms");
        assertThat(first.header("x-ratelimit-limit-requests")).isNull();
        JsonNode error = second.assertOpenAiError(429, "tokens", "rate_limit_exceeded");
        assertThat(second.header("retry-after")).isEqualTo("1");
        assertThat(Long.parseLong(second.header("retry-after-ms"))).isBetween(1L, cost * 10L);
        assertThat(second.header("x-ratelimit-remaining-requests")).isNull();
        assertThat(error.get("message").asText()).matches("Rate limit reached for gpt-4o in organization org-mock on"
                + " tokens per min \\(TPM\\): Limit 6000, Used \\d+, Requested " + cost + "\\."
                + " Please try again in " + second.header("retry-after-ms") + "ms\\.");
        assertThat(server.stats().keyModel("tok-key", "gpt-4o").tokens()).isEqualTo(cost);
    }

    @Test
    void aLimitForOneKeyLeavesOthersAlone() throws Exception {
        // 60 RPM over 500 ms holds half a request: one gets in, the next waits a second.
        assertThat(client.chat("special", MODEL, "one").status()).isEqualTo(200);
        MockTestClient.Reply refused = client.chat("special", MODEL, "two");

        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("x-ratelimit-limit-requests")).isEqualTo("60");
        assertThat(Long.parseLong(refused.header("retry-after-ms"))).isBetween(900L, 1000L);
        assertThat(client.chat("someone-else", MODEL, "two").status()).isEqualTo(200);
    }

    @Test
    void successesCarryTheLimitHeaders() throws Exception {
        MockTestClient.Reply reply = client.chat("fresh-key", MODEL, "hello");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("x-ratelimit-limit-requests")).isEqualTo("1200");
        assertThat(reply.header("x-ratelimit-remaining-requests")).isEqualTo(String.valueOf(CAPACITY - 1));
        assertThat(reply.header("x-ratelimit-reset-requests")).isEqualTo("50ms");
        assertThat(reply.header("x-ratelimit-limit-tokens")).isEqualTo("1000000");
        assertThat(reply.header("x-ratelimit-remaining-tokens")).matches("\\d+");
        assertThat(reply.header("x-ratelimit-reset-tokens")).matches(GO_DURATION);
        assertThat(reply.header("retry-after")).isNull();
    }
}
