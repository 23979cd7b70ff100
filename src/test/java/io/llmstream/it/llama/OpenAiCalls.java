package io.llmstream.it.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The OpenAI-style calls the fixture's tests make, over {@code java.net.http} alone: JSON posts and
 * streamed chats read line by line as server-sent events, timed from the send.
 */
final class OpenAiCalls {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** A thread per stream, each reading its own, so arrival times are not those of a shared reader's turn. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "llama-stream-reader");
        thread.setDaemon(true);
        return thread;
    });

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final Optional<String> apiKey;

    OpenAiCalls(String baseUrl, Optional<String> apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
    }

    /** A chat request for one user message. */
    static ObjectNode chat(String model, String userMessage, int maxTokens) {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", maxTokens);
        body.putArray("messages").addObject().put("role", "user").put("content", userMessage);
        return body;
    }

    /** The same request, streamed, with a last chunk that carries the usage. */
    static ObjectNode streamed(ObjectNode chat) {
        ObjectNode body = chat.deepCopy().put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        return body;
    }

    /**
     * The status code and body of a POST to {@code baseUrl + path}. llama-server closes a connection after each
     * stream while its headers say keep-alive, so a POST after a stream may go out on a connection the server has
     * closed and get no bytes back; it is sent once more on a new one, as the job does.
     */
    HttpResponse<String> post(String path, JsonNode body) throws IOException, InterruptedException {
        try {
            return http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("received no bytes")) {
                throw e;
            }
            return http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A GET of a URL of the server's own, such as {@code /health} or {@code /metrics}. */
    HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT);
        apiKey.ifPresent(key -> request.header("Authorization", "Bearer " + key));
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("received no bytes")) {
                throw e;
            }
            // As for a POST: the connection may be one the server closed after a stream.
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A POST whose answer is expected to be JSON with status 200. */
    JsonNode postOk(String path, JsonNode body) throws IOException, InterruptedException {
        HttpResponse<String> response = post(path, body);
        if (response.statusCode() != 200) {
            throw new AssertionError("POST " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Sends a streamed chat without waiting; the future completes when the stream ends. */
    CompletableFuture<StreamedAnswer> stream(ObjectNode streamedChat) {
        return CompletableFuture.supplyAsync(() -> {
            long sent = System.nanoTime();
            try {
                return StreamedAnswer.read(http.send(request("/chat/completions", streamedChat),
                        HttpResponse.BodyHandlers.ofInputStream()), sent);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while streaming", e);
            }
        }, READERS);
    }

    private HttpRequest request(String path, JsonNode body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        apiKey.ifPresent(key -> request.header("Authorization", "Bearer " + key));
        return request.build();
    }

    /**
     * One streamed answer as it arrived.
     *
     * @param status the HTTP status
     * @param contentType the response's content type
     * @param chunks every {@code data:} event's JSON, in order, {@code [DONE]} left out
     * @param endedWithDone whether the last event was {@code data: [DONE]}
     * @param firstToken from the send to the first chunk with text in its delta
     * @param total from the send to the end of the stream
     */
    record StreamedAnswer(int status, String contentType, List<JsonNode> chunks, boolean endedWithDone,
            Duration firstToken, Duration total) {

        static StreamedAnswer read(HttpResponse<InputStream> response, long sent) {
            List<JsonNode> chunks = new ArrayList<>();
            boolean done = false;
            long firstToken = -1;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring("data: ".length());
                    done = data.equals("[DONE]");
                    if (done) {
                        continue;
                    }
                    JsonNode chunk = JSON.readTree(data);
                    if (firstToken < 0 && !deltaText(chunk).isEmpty()) {
                        firstToken = System.nanoTime();
                    }
                    chunks.add(chunk);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            long ended = System.nanoTime();
            return new StreamedAnswer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    chunks, done, Duration.ofNanos((firstToken < 0 ? ended : firstToken) - sent),
                    Duration.ofNanos(ended - sent));
        }

        /** The text of every delta, joined. */
        String content() {
            StringBuilder text = new StringBuilder();
            chunks.forEach(c -> text.append(deltaText(c)));
            return text.toString();
        }

        /** The number of chunks that carry text. */
        long contentChunks() {
            return chunks.stream().filter(c -> !deltaText(c).isEmpty()).count();
        }

        /** A chunk's text; empty for the first chunk, whose content is null beside the role, and the last ones. */
        static String deltaText(JsonNode chunk) {
            JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
            return content.isTextual() ? content.textValue() : "";
        }

        JsonNode last() {
            return chunks.get(chunks.size() - 1);
        }
    }
}
