package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

import static io.llmstream.local.mock.MockTestClient.chatBody;
import static io.llmstream.local.mock.MockTestClient.streamBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The directives that shape an answer (hang(ms), break, pause, slow, long), streamed and not, over real sockets. */
class MockStreamDirectivesTest {

    private static final String KEY = "sk-shapes";
    private static final String MODEL = "gpt-4o";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0).build());
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void hangWithMsIsSilentThenAnswersNormally() throws Exception {
        String prompt = "[[mock:hang(ms=400)x2]] wait a little";
        long hangs = server.stats().hangs();

        MockTestClient.StreamReply streamed = client.stream(KEY, streamBody(MODEL, prompt, false), TIMEOUT);
        long start = System.nanoTime();
        MockTestClient.Reply whole = client.chat(KEY, MODEL, prompt);
        long wholeMs = (System.nanoTime() - start) / 1_000_000;

        assertThat((streamed.headersNanos() - streamed.sentNanos()) / 1_000_000).isGreaterThanOrEqualTo(400);
        assertThat(streamed.endsWithDone()).isTrue();
        assertThat(streamed.content()).isEqualTo(MockAnswers.contentFor(prompt));
        assertThat(wholeMs).isGreaterThanOrEqualTo(400);
        assertThat(whole.json().at("/choices/0/message/content").asText()).isEqualTo(MockAnswers.contentFor(prompt));
        assertThat(server.stats().hangs()).isEqualTo(hangs + 2);
    }

    @Test
    void plainHangNeverAnswersAStream() throws Exception {
        String prompt = "[[mock:hang]] forever";

        assertThatThrownBy(() -> client.stream(KEY, streamBody(MODEL, prompt, false), Duration.ofMillis(300)))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(client.stream(KEY, streamBody(MODEL, prompt, false), TIMEOUT).endsWithDone()).isTrue();
    }

    @Test
    void breakEndsAStreamAfterAboutHalfItsChunks() throws Exception {
        String prompt = "[[mock:break]] Please write a long story about a dragon who learns to bake bread.";
        long malformed = server.stats().malformed();

        MockTestClient.StreamReply broken = client.stream(KEY, streamBody(MODEL, prompt, true), TIMEOUT);
        MockTestClient.StreamReply next = client.stream(KEY, streamBody(MODEL, prompt, true), TIMEOUT);

        assertThat(broken.status()).isEqualTo(200);
        assertThat(broken.failure()).isNotNull();
        assertThat(broken.endsWithDone()).isFalse();
        assertThat(broken.events()).noneMatch(MockTestClient.Event::isDone);
        assertThat(broken.chunks()).noneMatch(chunk -> chunk.at("/choices/0/finish_reason").isTextual());
        int whole = next.chunks().size();
        assertThat(broken.chunks().size()).isBetween(whole / 2 - 1, whole / 2 + 1);
        assertThat(MockAnswers.contentFor(prompt)).startsWith(broken.content()).isNotEqualTo(broken.content());
        assertThat(next.endsWithDone()).isTrue();
        assertThat(next.content()).isEqualTo(MockAnswers.contentFor(prompt));
        assertThat(server.stats().malformed()).isEqualTo(malformed + 1);
    }

    @Test
    void breakCutsAWholeAnswerInTheMiddleOfItsBody() throws Exception {
        String prompt = "[[mock:break]] unstreamed";

        assertThatThrownBy(() -> client.chat(KEY, MODEL, prompt))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
    }

    @Test
    void theMalformedDirectiveCutsTheMiddleChunkOfAStream() throws Exception {
        String prompt = "[[mock:malformed]] Please write a long story about a dragon who learns to bake bread.";

        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, prompt, false), TIMEOUT);

        assertThat(reply.failure()).isNotNull();
        List<MockTestClient.Event> events = reply.events();
        MockTestClient.Event last = events.get(events.size() - 1);
        assertThatThrownBy(last::json).hasMessageStartingWith("event data is not JSON");
        assertThat(events.subList(0, events.size() - 1)).allSatisfy(event -> event.json());
    }

    @Test
    void pauseHoldsTheStreamAfterItsFirstChunk() throws Exception {
        String prompt = "[[mock:pause(ms=400)x2]] Please write a long story about a dragon who learns to bake.";

        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, prompt, false), TIMEOUT);
        long start = System.nanoTime();
        MockTestClient.Reply whole = client.chat(KEY, MODEL, prompt);
        long wholeMs = (System.nanoTime() - start) / 1_000_000;

        List<MockTestClient.Event> content = reply.contentEvents();
        assertThat(content).hasSizeGreaterThan(2);
        // Measured at the client, a gap shrinks when the chunk before it was late: allow for that,
        // but the chunk after the pause can never come sooner than the pause after the request.
        assertThat(reply.msUntil(content.get(1))).isGreaterThanOrEqualTo(400);
        assertThat((content.get(1).atNanos() - content.get(0).atNanos()) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat((content.get(2).atNanos() - content.get(1).atNanos()) / 1_000_000).isLessThan(200);
        assertThat(reply.endsWithDone()).isTrue();
        assertThat(reply.content()).isEqualTo(MockAnswers.contentFor(prompt));
        assertThat(wholeMs).isGreaterThanOrEqualTo(400);
        assertThat(whole.status()).isEqualTo(200);
    }

    @Test
    void slowSpreadsTheChunksEvenlyAndKeepsTheGapsSmall() throws Exception {
        String prompt = "[[mock:slow(ms=800)]] short";

        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, prompt, true), TIMEOUT);

        List<MockTestClient.Event> content = reply.contentEvents();
        assertThat(content).as("a chunk at least every 80 ms").hasSizeGreaterThanOrEqualTo(11);
        assertThat(reply.msUntil(content.get(content.size() - 1))).isGreaterThanOrEqualTo(800);
        long spreadMs = (content.get(content.size() - 1).atNanos() - content.get(0).atNanos()) / 1_000_000;
        assertThat(spreadMs).isGreaterThanOrEqualTo(600);
        long widestGapMs = 0;
        for (int i = 1; i < content.size(); i++) {
            widestGapMs = Math.max(widestGapMs, (content.get(i).atNanos() - content.get(i - 1).atNanos()) / 1_000_000);
        }
        // 80 ms apart on the server; the bound leaves room for a busy machine and still rules out a burst.
        assertThat(widestGapMs).isLessThan(300);
        assertThat(reply.endsWithDone()).isTrue();
        assertThat(reply.content()).isEqualTo(MockAnswers.contentFor(prompt));
    }

    @Test
    void slowDelaysAWholeAnswerByItsDuration() throws Exception {
        long start = System.nanoTime();
        MockTestClient.Reply reply = client.chat(KEY, MODEL, "[[mock:slow(ms=300)]] whole");

        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(reply.header("openai-processing-ms")).isEqualTo("300");
    }

    @Test
    void longAnswersHaveExactlyTheAskedLengthStreamedOrNot() throws Exception {
        String prompt = "[[mock:long(chars=2000000)x*]] a very long answer";
        String expected = MockAnswers.longContentFor(prompt, 2_000_000);

        MockTestClient.StreamReply streamed = client.stream(KEY, streamBody(MODEL, prompt, true), TIMEOUT);
        MockTestClient.Reply whole = client.send(client.request("/v1/chat/completions", KEY, TIMEOUT)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chatBody(MODEL, prompt).toString())));

        assertThat(expected).hasSize(2_000_000).startsWith(MockAnswers.contentFor(prompt));
        assertThat(streamed.endsWithDone()).isTrue();
        assertThat(streamed.content()).hasSize(2_000_000).isEqualTo(expected);
        String wholeContent = whole.json().at("/choices/0/message/content").asText();
        assertThat(wholeContent).hasSize(2_000_000).isEqualTo(expected);
        JsonNode usage = streamed.chunks().get(streamed.chunks().size() - 1).get("usage");
        assertThat(usage).isEqualTo(whole.json().get("usage"));
        assertThat(usage.get("completion_tokens").asInt()).isBetween(2_000_000 / 8, 2_000_000 / 2);
    }

    @Test
    void aLongAnswerIsCutAtMaxTokensTheSameWayStreamedOrNot() throws Exception {
        String prompt = "[[mock:long(chars=50000)x*]] cut me";
        ObjectNode streamedBody = streamBody(MODEL, prompt, true).put("max_tokens", 40);

        MockTestClient.StreamReply streamed = client.stream(KEY, streamedBody, TIMEOUT);
        JsonNode whole = client.post("/v1/chat/completions", KEY, chatBody(MODEL, prompt).put("max_tokens", 40)).json();

        assertThat(streamed.content()).isEqualTo(whole.at("/choices/0/message/content").asText())
                .startsWith(MockAnswers.contentFor(prompt));
        assertThat(whole.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(whole.at("/usage/completion_tokens").asInt()).isEqualTo(40);
        assertThat(streamed.chunks().get(streamed.chunks().size() - 1).get("usage")).isEqualTo(whole.get("usage"));
    }

    @Test
    void shapedAnswersAreChargedToTheRateLimits() throws Exception {
        try (MockLlmServer limited = MockLlmServer.start(MockOptions.builder().port(0).rpm(60).build())) {
            MockTestClient limitedClient = new MockTestClient(limited);

            assertThat(limitedClient.chat(KEY, MODEL, "[[mock:slow(ms=10)]] first").status()).isEqualTo(200);
            assertThat(limitedClient.chat(KEY, MODEL, "[[mock:long(chars=100)]] second").status()).isEqualTo(429);
            assertThat(limitedClient.chat(KEY, MODEL, "[[mock:500]] refusals are free").status()).isEqualTo(500);
            assertThat(limited.stats().keyModel(KEY, MODEL).admitted()).isEqualTo(1);
        }
    }
}
