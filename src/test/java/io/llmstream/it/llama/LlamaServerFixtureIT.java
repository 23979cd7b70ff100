package io.llmstream.it.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.local.llama.LlamaServer;
import io.llmstream.local.llama.LlamaServerInstall;
import io.llmstream.local.llama.LlamaServerOptions;
import io.llmstream.local.llama.TinyGgufModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The llama-server fixture against the real server: what a plain and a streamed chat, embeddings, an API
 * key and a full queue look like, so tests built on it can rely on each.
 */
@RequiresLlamaServer
class LlamaServerFixtureIT {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaServerFixtureIT.class);
    private static final String ALIAS = "tiny-chat";
    private static final int MAX_TOKENS = 16;

    @TempDir
    static Path dir;
    private static LlamaServerInstall install;
    private static Path model;
    private static LlamaServer chatServer;
    private static OpenAiCalls chat;

    @BeforeAll
    static void startChatServer(LlamaServerInstall found) throws Exception {
        install = found;
        model = TinyGgufModel.writeTo(dir);
        chatServer = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS).withSlots(2));
        chat = new OpenAiCalls(chatServer.baseUrl(), Optional.empty());
    }

    @AfterAll
    static void stopChatServer() throws Exception {
        if (chatServer != null) {
            chatServer.close();
        }
    }

    @Test
    void aPlainChatAnswersWithTextAndUsage() throws Exception {
        JsonNode answer = chat.postOk("/chat/completions",
                OpenAiCalls.chat(ALIAS, "Say hello to the stream.", MAX_TOKENS));

        assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
        assertThat(answer.path("model").asText()).isEqualTo(ALIAS);
        assertThat(answer.path("choices")).hasSize(1);
        JsonNode choice = answer.path("choices").path(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isNotBlank();
        assertThat(choice.path("finish_reason").asText())
                .as(() -> "finish_reason; the end of the log of " + chatServer + ":\n" + chatServer.logTail())
                .isEqualTo("length");
        JsonNode usage = answer.path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(MAX_TOKENS);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }

    @Test
    void aStreamedChatEndsWithAUsageChunkThenDone() throws Exception {
        OpenAiCalls.StreamedAnswer stream = chat.stream(OpenAiCalls.streamed(OpenAiCalls.chat(ALIAS, "Hi", MAX_TOKENS)))
                .get();
        LOG.info("Unloaded streamed chat of {} tokens: first token after {} ms, all after {} ms", MAX_TOKENS,
                millis(stream.firstToken()), millis(stream.total()));

        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        assertThat(stream.endedWithDone()).isTrue();
        assertThat(stream.chunks()).allSatisfy(c -> assertThat(c.path("object").asText())
                .isEqualTo("chat.completion.chunk"));
        assertThat(stream.contentChunks()).as("one chunk per token").isEqualTo(MAX_TOKENS);
        assertThat(stream.content()).isNotBlank();
        JsonNode finish = stream.chunks().get(stream.chunks().size() - 2);
        assertThat(finish.path("choices").path(0).path("finish_reason").asText()).isEqualTo("length");
        JsonNode usageChunk = stream.last();
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isEqualTo(MAX_TOKENS);
        assertThat(usageChunk.path("usage").path("prompt_tokens").asInt()).isPositive();
    }

    @Test
    void metricsCountTheTokensPredicted() throws Exception {
        chat.postOk("/chat/completions", OpenAiCalls.chat(ALIAS, "Count me", MAX_TOKENS));

        HttpResponse<String> metrics = chat.get(chatServer.serverUrl() + "/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("llamacpp:requests_processing", "llamacpp:requests_deferred");
        assertThat(metrics.body().lines().filter(l -> l.startsWith("llamacpp:tokens_predicted_total "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).sum())
                .isGreaterThanOrEqualTo(MAX_TOKENS);
    }

    @Test
    void twoServersOnOneModelRunSideBySideAndEndOnStopOrKill() throws Exception {
        try (LlamaServer first = LlamaServer.start(install, LlamaServerOptions.chat(model, "tiny-first"));
                LlamaServer second = LlamaServer.start(install, LlamaServerOptions.chat(model, "tiny-second"))) {
            OpenAiCalls toFirst = new OpenAiCalls(first.baseUrl(), Optional.empty());
            OpenAiCalls toSecond = new OpenAiCalls(second.baseUrl(), Optional.empty());
            assertThat(first.port()).isNotEqualTo(second.port());
            assertThat(toFirst.postOk("/chat/completions", OpenAiCalls.chat("tiny-first", "Hi", 4))
                    .path("model").asText()).isEqualTo("tiny-first");
            assertThat(toSecond.postOk("/chat/completions", OpenAiCalls.chat("tiny-second", "Hi", 4))
                    .path("model").asText()).isEqualTo("tiny-second");

            first.stop();
            second.kill();

            assertThat(first.isAlive()).isFalse();
            assertThat(second.isAlive()).isFalse();
            assertThat(first.logTail()).as("a SIGTERM lets it clean up").contains("cleaning up before exit");
            assertThatThrownBy(() -> toFirst.get(first.serverUrl() + "/health")).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aKilledServerRestartsOnItsPortWithALogOfItsOwn() throws Exception {
        LlamaServer first = LlamaServer.start(install, LlamaServerOptions.chat(model, "tiny-restart"));
        try (first) {
            new OpenAiCalls(first.baseUrl(), Optional.empty()).postOk("/chat/completions",
                    OpenAiCalls.chat("tiny-restart", "Before", MAX_TOKENS));
            first.kill();

            try (LlamaServer second = first.restart()) {
                JsonNode answer = new OpenAiCalls(second.baseUrl(), Optional.empty()).postOk("/chat/completions",
                        OpenAiCalls.chat("tiny-restart", "After", MAX_TOKENS));

                assertThat(second.port()).isEqualTo(first.port());
                assertThat(second.logFile()).isNotEqualTo(first.logFile());
                assertThat(answer.path("usage").path("completion_tokens").asInt()).isEqualTo(MAX_TOKENS);
                assertThat(first.tasksStarted()).isEqualTo(1);
                assertThat(second.tasksStarted()).isEqualTo(1);
                assertThat(second.metric("llamacpp:tokens_predicted_total")).as("counted afresh").isEqualTo(MAX_TOKENS);
            }
        }
    }

    /**
     * Its headers offer {@code Keep-Alive: timeout=5, max=100}, but llama-server (build 11669) closes the
     * connection at the end of every streamed answer, while it keeps a plain answer's open: a client that
     * pools connections finds the streamed ones closed when it sends the next request on them.
     */
    @Test
    void aStreamedAnswerClosesItsConnectionAPlainOneKeepsIt() throws Exception {
        for (boolean streamed : new boolean[] {true, false}) {
            ObjectNode request = OpenAiCalls.chat(ALIAS, "Keep me", 4);
            byte[] body = (streamed ? OpenAiCalls.streamed(request) : request).toString()
                    .getBytes(StandardCharsets.UTF_8);
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), chatServer.port())) {
                socket.setSoTimeout(2_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                InputStream in = socket.getInputStream();
                String head = readUntil(in, "\r\n\r\n");
                assertThat(head).startsWith("HTTP/1.1 200").contains("Keep-Alive: timeout=5, max=100")
                        .doesNotContainIgnoringCase("Connection: close");
                if (streamed) {
                    readUntil(in, "data: [DONE]\n\n\r\n0\r\n\r\n");
                    assertThat(in.read()).as("the streamed answer's connection, after its last chunk").isEqualTo(-1);
                } else {
                    int length = head.lines().filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
                            .mapToInt(line -> Integer.parseInt(line.substring(15).trim())).findFirst().orElseThrow();
                    assertThat(in.readNBytes(length)).hasSize(length);
                    socket.setSoTimeout(500);
                    assertThatThrownBy(in::read).as("the plain answer's connection stays open")
                            .isInstanceOf(SocketTimeoutException.class);
                }
            }
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        while (read.length() < end.length() || !read.substring(read.length() - end.length()).equals(end)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before '" + end.replace("\r\n", "\\r\\n") + "'; read: " + read);
            }
            read.append((char) b);
        }
        return read.toString();
    }

    @Test
    void aServerWithoutTheEmbeddingsFlagRefusesEmbeddings() throws Exception {
        HttpResponse<String> refused = chat.post("/embeddings", embeddingsRequest("one"));

        assertThat(refused.statusCode()).isEqualTo(501);
        JsonNode error = OpenAiCalls.JSON.readTree(refused.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("not_supported_error");
        assertThat(error.path("message").asText()).contains("--embeddings");
    }

    @Test
    void embeddingsGiveOneUnitVectorOf64FloatsPerInput() throws Exception {
        try (LlamaServer server = LlamaServer.start(install,
                LlamaServerOptions.chat(model, "tiny-embed").withEmbeddings(true))) {
            JsonNode answer = new OpenAiCalls(server.baseUrl(), Optional.empty())
                    .postOk("/embeddings", embeddingsRequest("the quick brown fox", "a lazy dog"));

            JsonNode data = answer.path("data");
            assertThat(data).hasSize(2);
            List<double[]> vectors = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                assertThat(data.path(i).path("index").asInt()).isEqualTo(i);
                JsonNode embedding = data.path(i).path("embedding");
                assertThat(embedding).hasSize(TinyGgufModel.EMBEDDING_LENGTH);
                double[] vector = new double[embedding.size()];
                for (int d = 0; d < vector.length; d++) {
                    vector[d] = embedding.path(d).asDouble();
                }
                assertThat(norm(vector)).as("euclidean norm, llama-server's default normalisation")
                        .isCloseTo(1.0, within(1e-4));
                vectors.add(vector);
            }
            assertThat(vectors.get(0)).as("different inputs, different vectors").isNotEqualTo(vectors.get(1));
            assertThat(answer.path("usage").path("prompt_tokens").asInt()).isPositive();
        }
    }

    /**
     * One server does both: started with {@code --embeddings --pooling mean}, build 11669 still answers chat,
     * plain and streamed, although its help text says the flag restricts it to embeddings.
     */
    @Test
    void aServerWithEmbeddingsAnswersChatToo() throws Exception {
        try (LlamaServer server = LlamaServer.start(install,
                LlamaServerOptions.chat(model, "tiny-both").withEmbeddings(true))) {
            OpenAiCalls both = new OpenAiCalls(server.baseUrl(), Optional.empty());

            JsonNode answer = both.postOk("/chat/completions", OpenAiCalls.chat("tiny-both", "Hi", MAX_TOKENS));
            OpenAiCalls.StreamedAnswer stream = both.stream(OpenAiCalls.streamed(
                    OpenAiCalls.chat("tiny-both", "Hi", MAX_TOKENS))).get();
            JsonNode vectors = both.postOk("/embeddings", embeddingsRequest("one", "two"));

            assertThat(answer.path("usage").path("completion_tokens").asInt()).isEqualTo(MAX_TOKENS);
            assertThat(stream.endedWithDone()).isTrue();
            assertThat(stream.contentChunks()).isEqualTo(MAX_TOKENS);
            assertThat(vectors.path("data")).hasSize(2);
        }
    }

    @Test
    void aWrongApiKeyGets401() throws Exception {
        try (LlamaServer server = LlamaServer.start(install, LlamaServerOptions.chat(model, "tiny-keyed")
                .withApiKey("k"))) {
            JsonNode request = OpenAiCalls.chat("tiny-keyed", "Hi", MAX_TOKENS);

            HttpResponse<String> wrong = new OpenAiCalls(server.baseUrl(), Optional.of("not-k"))
                    .post("/chat/completions", request);
            HttpResponse<String> none = new OpenAiCalls(server.baseUrl(), Optional.empty())
                    .post("/chat/completions", request);
            HttpResponse<String> right = new OpenAiCalls(server.baseUrl(), Optional.of("k"))
                    .post("/chat/completions", request);

            assertThat(wrong.statusCode()).isEqualTo(401);
            JsonNode error = OpenAiCalls.JSON.readTree(wrong.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("authentication_error");
            assertThat(error.path("code").asInt()).isEqualTo(401);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(right.statusCode()).as(right.body()).isEqualTo(200);
        }
    }

    /**
     * Requests past the slots wait in llama-server's queue (it never answers 429), so with 2 slots and 8
     * streams at once all 8 complete, but only 2 get a first token sooner than any stream takes to generate
     * its answer (the server's own {@code timings.predicted_ms}): the others wait for a slot to free.
     */
    @Test
    void eightStreamsOnTwoSlotsAllCompleteInTurns() throws Exception {
        int streams = 8;
        int maxTokens = 256;
        chat.stream(OpenAiCalls.streamed(OpenAiCalls.chat(ALIAS, "Warm up the client", maxTokens))).get();
        List<CompletableFuture<OpenAiCalls.StreamedAnswer>> sent = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            sent.add(chat.stream(OpenAiCalls.streamed(OpenAiCalls.chat(ALIAS, "Question " + i, maxTokens))));
        }
        List<OpenAiCalls.StreamedAnswer> answers = new ArrayList<>();
        for (CompletableFuture<OpenAiCalls.StreamedAnswer> answer : sent) {
            answers.add(answer.get());
        }

        answers.sort(Comparator.comparing(OpenAiCalls.StreamedAnswer::firstToken));
        double shortestGeneration = answers.stream()
                .mapToDouble(a -> a.last().path("timings").path("predicted_ms").asDouble()).min().orElseThrow();
        LOG.info("8 streams of {} tokens on 2 slots: first token after (ms) {}; done after (ms) {}; the quickest "
                + "generation took {} ms", maxTokens, answers.stream().map(a -> millis(a.firstToken())).toList(),
                answers.stream().map(a -> millis(a.total())).toList(), String.format("%.1f", shortestGeneration));
        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.endedWithDone()).isTrue();
            assertThat(answer.contentChunks()).isEqualTo(maxTokens);
            assertThat(answer.last().path("usage").path("completion_tokens").asInt()).isEqualTo(maxTokens);
        });
        assertThat(shortestGeneration).as("server-side generation time of the quickest stream (ms)").isPositive();
        assertThat(answers).as("streams with a first token sooner than the quickest generation, %.1f ms",
                        shortestGeneration)
                .filteredOn(a -> a.firstToken().toNanos() / 1e6 < shortestGeneration).hasSize(2);
        assertThat(answers.get(streams - 1).firstToken().toNanos() / 1e6)
                .as("the last stream's first token waits for three turns of two")
                .isGreaterThan(3 * shortestGeneration);
    }

    private static JsonNode embeddingsRequest(String... inputs) {
        var body = OpenAiCalls.JSON.createObjectNode().put("model", "tiny");
        var array = body.putArray("input");
        for (String input : inputs) {
            array.add(input);
        }
        return body;
    }

    private static double norm(double[] vector) {
        double sum = 0;
        for (double value : vector) {
            sum += value * value;
        }
        return Math.sqrt(sum);
    }

    private static String millis(Duration duration) {
        return String.format("%.1f", duration.toNanos() / 1e6);
    }
}
