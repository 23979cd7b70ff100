package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.llmstream.local.mock.MockTestClient.chatBody;
import static io.llmstream.local.mock.MockTestClient.fieldNames;
import static io.llmstream.local.mock.MockTestClient.streamBody;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code "stream": true} over a real socket: OpenAI's server-sent events, their order and their counts. */
class MockStreamingTest {

    private static final String KEY = "sk-stream";
    private static final String MODEL = "gpt-4o";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String PROMPT = "Please write a long story about a dragon who learns to bake bread.";
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0).rpm(6000).build());
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void streamsChunksInOpenAiOrderWithTheUsageChunkAndDone() throws Exception {
        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, PROMPT, true), TIMEOUT);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");
        assertThat(reply.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(reply.header("content-length")).isNull();
        assertThat(reply.header("x-request-id")).startsWith("req_mock_");
        assertThat(reply.header("x-ratelimit-limit-requests")).isEqualTo("6000");
        assertThat(reply.header("openai-processing-ms")).isEqualTo("0");
        assertThat(reply.failure()).isNull();
        assertThat(reply.endsWithDone()).isTrue();
        assertThat(reply.lines()).allSatisfy(line -> assertThat(line).matches("data: .+|"));

        List<JsonNode> chunks = reply.chunks();
        int contentChunks = chunks.size() - 3;
        assertThat(contentChunks).as("content chunks of %s", reply.lines()).isGreaterThan(1);
        for (JsonNode chunk : chunks) {
            assertThat(fieldNames(chunk)).containsExactly("id", "object", "created", "model", "system_fingerprint",
                    "choices", "usage");
            assertThat(chunk.get("id").asText()).isEqualTo("chatcmpl-" + reply.header("x-request-id"));
            assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.get("model").asText()).isEqualTo(MODEL);
            assertThat(chunk.get("system_fingerprint").asText()).isEqualTo("fp_mock");
        }
        JsonNode role = chunks.get(0);
        assertThat(role.at("/choices/0/delta").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        for (JsonNode chunk : chunks.subList(0, chunks.size() - 1)) {
            assertThat(chunk.get("choices")).hasSize(1);
            assertThat(fieldNames(chunk.at("/choices/0"))).containsExactly("index", "delta", "logprobs",
                    "finish_reason");
            assertThat(chunk.at("/choices/0/logprobs").isNull()).isTrue();
            assertThat(chunk.get("usage").isNull()).isTrue();
        }
        for (JsonNode chunk : chunks.subList(1, 1 + contentChunks)) {
            assertThat(fieldNames(chunk.at("/choices/0/delta"))).containsExactly("content");
            assertThat(chunk.at("/choices/0/delta/content").asText()).isNotEmpty();
            assertThat(chunk.at("/choices/0/finish_reason").isNull()).isTrue();
        }
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertThat(finish.at("/choices/0/delta").isEmpty()).isTrue();
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.get("choices")).isEmpty();

        JsonNode whole = client.post("/v1/chat/completions", KEY, chatBody(MODEL, PROMPT)).json();
        assertThat(reply.content()).isEqualTo(whole.at("/choices/0/message/content").asText())
                .isEqualTo(MockAnswers.contentFor(PROMPT));
        assertThat(usage.get("usage")).isEqualTo(whole.get("usage"));
    }

    @Test
    void cutsAStreamAtMaxTokensLikeTheWholeAnswer() throws Exception {
        ObjectNode streamed = streamBody(MODEL, PROMPT, true).put("max_tokens", 7);
        ObjectNode unstreamed = chatBody(MODEL, PROMPT).put("max_tokens", 7);

        MockTestClient.StreamReply reply = client.stream(KEY, streamed, TIMEOUT);
        JsonNode whole = client.post("/v1/chat/completions", KEY, unstreamed).json();

        assertThat(reply.content()).isEqualTo(MockAnswers.contentFor(PROMPT, 7))
                .isEqualTo(whole.at("/choices/0/message/content").asText());
        List<JsonNode> chunks = reply.chunks();
        assertThat(chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(chunks.get(chunks.size() - 1).get("usage")).isEqualTo(whole.get("usage"));
        assertThat(whole.at("/usage/completion_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void sendsNoUsageWithoutStreamOptions() throws Exception {
        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, "no usage please", false), TIMEOUT);

        assertThat(reply.endsWithDone()).isTrue();
        assertThat(reply.chunks()).allSatisfy(chunk -> {
            assertThat(chunk.has("usage")).isFalse();
            assertThat(chunk.get("choices")).hasSize(1);
        });
        List<JsonNode> chunks = reply.chunks();
        assertThat(chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(reply.content()).isEqualTo(MockAnswers.contentFor("no usage please"));
    }

    @Test
    void countsAStreamOnceWithItsTokens() throws Exception {
        server.resetStats();

        MockTestClient.StreamReply reply = client.stream(KEY, streamBody(MODEL, "count the stream", true), TIMEOUT);

        JsonNode usage = reply.chunks().get(reply.chunks().size() - 1).get("usage");
        MockStats stats = server.stats();
        assertThat(stats.requests()).isEqualTo(1);
        assertThat(stats.status(200)).isEqualTo(1);
        assertThat(stats.streamed()).isEqualTo(1);
        assertThat(stats.promptTokens()).isEqualTo(usage.get("prompt_tokens").asLong());
        assertThat(stats.completionTokens()).isEqualTo(usage.get("completion_tokens").asLong());
        assertThat(stats.keyModel(KEY, MODEL).admitted()).isEqualTo(1);
        assertThat(stats.keyModel(KEY, MODEL).tokens()).isEqualTo(usage.get("total_tokens").asLong());
        assertThat(stats.inFlight()).isZero();
        assertThat(stats.summary()).contains(" streamed=1 in_flight=0 max_in_flight=1");
    }

    @Test
    void refusesStreamOptionsWithoutStreamAndANonBooleanStream() throws Exception {
        ObjectNode optionsOnly = chatBody(MODEL, "hi");
        optionsOnly.putObject("stream_options").put("include_usage", true);
        JsonNode error = client.post("/v1/chat/completions", KEY, optionsOnly)
                .assertOpenAiError(400, "invalid_request_error", null);
        assertThat(error.get("message").asText())
                .isEqualTo("The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        assertThat(error.get("param").asText()).isEqualTo("stream_options");

        optionsOnly.put("stream", false);
        JsonNode streamFalse = client.post("/v1/chat/completions", KEY, optionsOnly)
                .assertOpenAiError(400, "invalid_request_error", null);
        assertThat(streamFalse.get("param").asText()).isEqualTo("stream_options");

        JsonNode notBoolean = client.post("/v1/chat/completions", KEY, chatBody(MODEL, "hi").put("stream", "yes"))
                .assertOpenAiError(400, "invalid_request_error", null);
        assertThat(notBoolean.get("message").asText()).isEqualTo("'stream' must be a boolean, was \"yes\"");
        assertThat(notBoolean.get("param").asText()).isEqualTo("stream");

        ObjectNode badUsage = streamBody(MODEL, "hi", false);
        badUsage.putObject("stream_options").put("include_usage", "yes");
        assertThat(client.post("/v1/chat/completions", KEY, badUsage)
                .assertOpenAiError(400, "invalid_request_error", null).get("param").asText())
                .isEqualTo("stream_options.include_usage");
    }

    @Test
    void ignoreModeAnswersStreamedRequestsWithTheWholeJson() throws Exception {
        try (MockLlmServer ignoring = MockLlmServer.start(MockOptions.builder().port(0)
                .stream(MockOptions.StreamMode.IGNORE).build())) {
            MockTestClient.Reply reply = new MockTestClient(ignoring)
                    .post("/v1/chat/completions", KEY, streamBody(MODEL, "just json", true));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("content-type")).isEqualTo("application/json");
            assertThat(reply.json().get("object").asText()).isEqualTo("chat.completion");
            assertThat(reply.json().at("/choices/0/message/content").asText())
                    .isEqualTo(MockAnswers.contentFor("just json"));
            assertThat(ignoring.stats().streamed()).isZero();
        }
    }

    @Test
    void rejectModeRefusesStreamingAsUnsupported() throws Exception {
        try (MockLlmServer rejecting = MockLlmServer.start(MockOptions.parseArgs(List.of("--port", "0",
                "--stream", "reject")))) {
            MockTestClient rejected = new MockTestClient(rejecting);

            JsonNode error = rejected.post("/v1/chat/completions", KEY, streamBody(MODEL, "hi", true))
                    .assertOpenAiError(400, "invalid_request_error", "unsupported_value");

            assertThat(error.get("param").asText()).isEqualTo("stream");
            assertThat(error.get("message").asText())
                    .isEqualTo("mock-llm does not stream (--stream reject); leave 'stream' out or set it to false");
            assertThat(rejected.post("/v1/chat/completions", KEY, chatBody(MODEL, "hi").put("stream", false))
                    .status()).isEqualTo(200);
        }
    }

    @Test
    void theFirstTokenWaitsForTheLatencyAndTokensSpreadTheRest() throws Exception {
        try (MockLlmServer slow = MockLlmServer.start(MockOptions.builder().port(0)
                .latencyMs(300).latencySigma(0).msPerToken(20).build())) {
            MockTestClient.StreamReply reply = new MockTestClient(slow)
                    .stream(KEY, streamBody(MODEL, PROMPT, true), TIMEOUT);

            assertThat(reply.endsWithDone()).isTrue();
            long headersMs = (reply.headersNanos() - reply.sentNanos()) / 1_000_000;
            assertThat(headersMs).as("headers come before the first token").isLessThan(250);
            List<MockTestClient.Event> content = reply.contentEvents();
            assertThat(reply.msUntil(content.get(0))).as("time to first token").isGreaterThanOrEqualTo(300);
            JsonNode usage = reply.chunks().get(reply.chunks().size() - 1).get("usage");
            long tokens = usage.get("completion_tokens").asLong();
            long firstPieceTokens = tokens / content.size();
            long generatingMs = (tokens - firstPieceTokens) * 20;
            assertThat(reply.msUntil(content.get(content.size() - 1))).isGreaterThanOrEqualTo(300 + generatingMs);
            long spreadMs = (content.get(content.size() - 1).atNanos() - content.get(0).atNanos()) / 1_000_000;
            assertThat(spreadMs).as("%s tokens in %s pieces", tokens, content.size())
                    .isGreaterThanOrEqualTo(generatingMs * 3 / 4);
        }
    }

    @Test
    void atFirstTokenTheHeadersWaitForTheFirstTokenAndTheStreamIsTheSame() throws Exception {
        try (MockLlmServer late = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(300).latencySigma(0)
                .stream(MockOptions.StreamMode.SSE_AT_FIRST_TOKEN).build())) {
            MockTestClient.StreamReply reply = new MockTestClient(late)
                    .stream(KEY, streamBody(MODEL, PROMPT, true), TIMEOUT);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");
            long headersMs = (reply.headersNanos() - reply.sentNanos()) / 1_000_000;
            assertThat(headersMs).as("headers come with the first token").isGreaterThanOrEqualTo(300);
            assertThat(reply.endsWithDone()).isTrue();
            assertThat(reply.contentEvents()).hasSizeGreaterThan(1);
            assertThat(reply.chunks().get(reply.chunks().size() - 1).get("usage").get("completion_tokens").asLong())
                    .isPositive();
        }
    }
}
