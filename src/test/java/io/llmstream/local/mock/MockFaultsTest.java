package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Seeded random faults, the outage window and latency, each on its own small server. */
class MockFaultsTest {

    private static final String KEY = "sk-faults";
    private static final String MODEL = "gpt-4o";

    @Test
    void errorRateOneAnswersEveryRequestWithA5xx() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).errorRate(1).build())) {
            MockTestClient client = new MockTestClient(server);
            for (int i = 0; i < 12; i++) {
                MockTestClient.Reply reply = client.chat(KEY, MODEL, "fail " + i);
                assertThat(reply.status()).isIn(500, 502, 503);
                assertThat(reply.error().get("type").asText()).isIn("server_error", "service_unavailable");
            }
            assertThat(server.stats().status(500) + server.stats().status(502) + server.stats().status(503))
                    .isEqualTo(12);
        }
    }

    @Test
    void theSameSeedAndOrderGiveTheSameFaults() throws Exception {
        List<Integer> first = statuses(7);
        List<Integer> again = statuses(7);
        List<Integer> otherSeed = statuses(8);

        assertThat(first).isEqualTo(again).contains(200).containsAnyOf(500, 502, 503);
        assertThat(otherSeed).isNotEqualTo(first);
    }

    private static List<Integer> statuses(long seed) throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).seed(seed).errorRate(0.5)
                .build())) {
            MockTestClient client = new MockTestClient(server);
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                statuses.add(client.chat(KEY, MODEL, "seeded " + i).status());
            }
            return statuses;
        }
    }

    @Test
    void resetRateOneAbortsEveryConnection() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).resetRate(1).build())) {
            MockTestClient client = new MockTestClient(server);

            assertThatThrownBy(() -> client.chat(KEY, MODEL, "reset me"))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(HttpTimeoutException.class);
            assertThat(client.get("/mock/stats", null).json().get("resets").asLong()).isEqualTo(1);
        }
    }

    @Test
    void hangRateOneLeavesTheClientToTimeOut() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).hangRate(1).build())) {
            MockTestClient client = new MockTestClient(server);

            assertThatThrownBy(() -> client.chatWithTimeout(KEY, MODEL, "hang", Duration.ofMillis(300)))
                    .isInstanceOf(HttpTimeoutException.class);
            assertThat(client.get("/mock/stats", null).json().get("hangs").asLong()).isEqualTo(1);
        }
    }

    @Test
    void malformedRateOneSendsBrokenBodiesWithStatus200() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).malformedRate(1).build())) {
            MockTestClient client = new MockTestClient(server);
            for (int i = 0; i < 8; i++) {
                MockTestClient.Reply reply = client.chat(KEY, MODEL, "broken " + i);
                assertThat(reply.status()).isEqualTo(200);
                assertThat(isValidCompletion(reply.body())).as(reply.body()).isFalse();
            }
            assertThat(server.stats().malformed()).isEqualTo(8);
        }
    }

    private static boolean isValidCompletion(String body) {
        try {
            JsonNode json = MockTestClient.JSON.readTree(body);
            return json.has("choices");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void theOutageWindowAnswers503ServiceUnavailable() throws Exception {
        try (MockLlmServer down = MockLlmServer.start(MockOptions.parseArgs(List.of("--port", "0",
                "--outage-start", "0s", "--outage-duration", "1m")))) {
            MockTestClient client = new MockTestClient(down);

            client.chat(KEY, MODEL, "anyone?").assertOpenAiError(503, "service_unavailable", "service_unavailable");
            client.chat(null, MODEL, "no key").assertOpenAiError(503, "service_unavailable", "service_unavailable");
            assertThat(down.stats().outageRefusals()).isEqualTo(2);
        }
        try (MockLlmServer later = MockLlmServer.start(MockOptions.parseArgs(List.of("--port", "0",
                "--outage-start", "1m", "--outage-duration", "10s")))) {
            assertThat(new MockTestClient(later).chat(KEY, MODEL, "before the outage").status()).isEqualTo(200);
        }
    }

    @Test
    void theOutageWindowIsMeasuredFromStart() {
        MockFaults faults = new MockFaults(MockOptions.builder()
                .outageStart(Duration.ofSeconds(30)).outageDuration(Duration.ofSeconds(10)).build());
        long second = 1_000_000_000L;

        assertThat(faults.inOutage(30 * second - 1)).isFalse();
        assertThat(faults.inOutage(30 * second)).isTrue();
        assertThat(faults.inOutage(40 * second - 1)).isTrue();
        assertThat(faults.inOutage(40 * second)).isFalse();
        assertThat(new MockFaults(MockOptions.builder().build()).inOutage(0)).isFalse();
    }

    @Test
    void faultRatesHoldOverManyDraws() {
        MockFaults faults = new MockFaults(MockOptions.builder().seed(3)
                .errorRate(0.2).resetRate(0.1).hangRate(0.05).malformedRate(0.15).build());
        int[] counts = new int[MockFaults.Kind.values().length];
        for (int i = 0; i < 20_000; i++) {
            counts[faults.next().kind().ordinal()]++;
        }

        assertThat(counts[MockFaults.Kind.ERROR.ordinal()]).isBetween(3_700, 4_300);
        assertThat(counts[MockFaults.Kind.RESET.ordinal()]).isBetween(1_800, 2_200);
        assertThat(counts[MockFaults.Kind.HANG.ordinal()]).isBetween(850, 1_150);
        assertThat(counts[MockFaults.Kind.MALFORMED.ordinal()]).isBetween(2_750, 3_250);
        assertThat(counts[MockFaults.Kind.NONE.ordinal()]).isBetween(9_600, 10_400);
    }

    @Test
    void latencyIsLogNormalAroundTheMedianAndRepeatsWithTheSeed() {
        MockOptions options = MockOptions.builder().seed(11).latencyMs(100).latencySigma(0.3).build();
        MockLatency latency = new MockLatency(options);
        MockLatency same = new MockLatency(options);
        double[] draws = new double[2_001];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = latency.nextBaseMs();
            assertThat(same.nextBaseMs()).isEqualTo(draws[i]);
        }
        Arrays.sort(draws);

        assertThat(draws[1_000]).isBetween(90.0, 110.0);
        assertThat(draws[0]).isPositive();
        assertThat(new MockLatency(MockOptions.builder().seed(12).latencyMs(100).build()).nextBaseMs())
                .isNotEqualTo(new MockLatency(options).nextBaseMs());
        assertThat(latency.delayNanos(100, 0)).isEqualTo(100_000_000L);
    }

    @Test
    void responsesWaitForTheirLatencyOnTheEventLoop() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0)
                .latencyMs(150).latencySigma(0).msPerToken(2).build())) {
            MockTestClient client = new MockTestClient(server);
            long start = System.nanoTime();
            MockTestClient.Reply reply = client.chat(KEY, MODEL, "slow");
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            long completion = reply.json().at("/usage/completion_tokens").asLong();
            long expectedMs = 150 + 2 * completion;
            assertThat(reply.header("openai-processing-ms")).isEqualTo(String.valueOf(expectedMs));
            assertThat(tookMs).isGreaterThanOrEqualTo(expectedMs);
        }
    }
}
