package io.llmstream.local.mock;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.llmstream.local.mock.MockTestClient.awaitStats;
import static io.llmstream.local.mock.MockTestClient.streamBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Random faults on streamed answers, and {@code --hang-for}, each on its own small server. */
class MockStreamFaultsTest {

    private static final String KEY = "sk-stream-faults";
    private static final String MODEL = "gpt-4o";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void aHungStreamSendsNotEvenItsHeaders() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).hangRate(1).build())) {
            MockTestClient client = new MockTestClient(server);

            assertThatThrownBy(() -> client.stream(KEY, streamBody(MODEL, "hang", true), Duration.ofMillis(300)))
                    .isInstanceOf(HttpTimeoutException.class);

            MockStats stats = server.stats();
            assertThat(stats.hangs()).isEqualTo(1);
            assertThat(stats.responsesByStatus()).isEmpty();
            assertThat(stats.streamed()).isZero();
        }
    }

    @Test
    void hangForAnswersAHungRequestNormallyAfterTheDelayStreamedOrNot() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.parseArgs(List.of("--port", "0",
                "--hang-rate", "1", "--hang-for", "400ms")))) {
            MockTestClient client = new MockTestClient(server);

            MockTestClient.StreamReply streamed = client.stream(KEY, streamBody(MODEL, "late stream", true), TIMEOUT);
            long headersMs = (streamed.headersNanos() - streamed.sentNanos()) / 1_000_000;
            assertThat(headersMs).as("not a byte before the hang ends").isGreaterThanOrEqualTo(400);
            assertThat(streamed.header("openai-processing-ms")).isEqualTo("400");
            assertThat(streamed.endsWithDone()).isTrue();
            assertThat(streamed.content()).isEqualTo(MockAnswers.contentFor("late stream"));

            long start = System.nanoTime();
            MockTestClient.Reply whole = client.chat(KEY, MODEL, "late answer");
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(400);
            assertThat(whole.status()).isEqualTo(200);
            assertThat(whole.json().at("/choices/0/message/content").asText())
                    .isEqualTo(MockAnswers.contentFor("late answer"));

            MockStats stats = server.stats();
            assertThat(stats.hangs()).isEqualTo(2);
            assertThat(stats.status(200)).isEqualTo(2);
            assertThat(stats.streamed()).isEqualTo(1);
            assertThat(stats.completionTokens()).isPositive();
        }
    }

    @Test
    void malformedStreamsBreakOffOrCarryAnEventThatIsNotJson() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).malformedRate(1).build())) {
            MockTestClient client = new MockTestClient(server);
            List<Boolean> withBadJson = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String prompt = "Tell me a long story about broken stream number " + i;
                MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, prompt, true), TIMEOUT);

                assertThat(reply.status()).isEqualTo(200);
                assertThat(reply.header("content-type")).startsWith("text/event-stream");
                assertThat(reply.failure()).as("the connection closes in the middle of the body").isNotNull();
                assertThat(reply.endsWithDone()).isFalse();
                assertThat(reply.events()).isNotEmpty().noneMatch(MockTestClient.Event::isDone);
                List<MockTestClient.Event> notJson = reply.events().stream()
                        .filter(event -> !isJson(event)).toList();
                assertThat(notJson).hasSizeLessThanOrEqualTo(1);
                if (notJson.isEmpty()) {
                    assertThat(reply.chunks()).noneMatch(chunk -> chunk.at("/choices/0/finish_reason").isTextual());
                    assertThat(MockAnswers.contentFor(prompt)).startsWith(reply.content())
                            .isNotEqualTo(reply.content());
                } else {
                    assertThat(notJson.get(0)).isEqualTo(reply.events().get(reply.events().size() - 1));
                    assertThat(notJson.get(0).data()).startsWith("{\"id\":\"chatcmpl-");
                }
                withBadJson.add(!notJson.isEmpty());
            }

            assertThat(withBadJson).as("both kinds of broken stream").contains(true, false);
            MockStats stats = awaitStats(server, s -> s.inFlight() == 0);
            assertThat(stats.malformed()).isEqualTo(10);
            assertThat(stats.streamed()).isEqualTo(10);
            assertThat(stats.completionTokens()).as("a broken answer is not counted as delivered").isZero();
            assertThat(stats.inFlight()).isZero();
        }
    }

    private static boolean isJson(MockTestClient.Event event) {
        try {
            event.json();
            return true;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    @Test
    void anErrorTakesThePlaceOfTheStream() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).errorRate(1).build())) {
            MockTestClient.StreamReply reply = new MockTestClient(server)
                    .stream(KEY, streamBody(MODEL, "fail", true), TIMEOUT);

            assertThat(reply.status()).isIn(500, 502, 503);
            assertThat(reply.header("content-type")).isEqualTo("application/json");
            assertThat(reply.events()).isEmpty();
            assertThat(reply.json().at("/error/type").asText()).isIn("server_error", "service_unavailable");
            assertThat(server.stats().streamed()).isZero();
        }
    }

    @Test
    void aResetComesBeforeAnyByteOfTheStream() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).resetRate(1).build())) {
            MockTestClient client = new MockTestClient(server);

            assertThatThrownBy(() -> client.stream(KEY, streamBody(MODEL, "reset", true), TIMEOUT))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(HttpTimeoutException.class);
            assertThat(server.stats().resets()).isEqualTo(1);
            assertThat(server.stats().streamed()).isZero();
        }
    }
}
