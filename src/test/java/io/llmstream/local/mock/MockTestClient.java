package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A plain JDK HTTP client for the mock's tests: real sockets, JSON in and out. */
final class MockTestClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String root;

    MockTestClient(MockLlmServer server) {
        this.root = "http://127.0.0.1:" + server.port();
    }

    /** A status, headers and body, with the body's JSON at hand. */
    record Reply(int status, Map<String, List<String>> headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase());
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        JsonNode error() {
            return json().path("error");
        }

        /** Asserts OpenAI's error body exactly: one {@code error} with message, type, param and code. */
        JsonNode assertOpenAiError(int expectedStatus, String type, String code) {
            assertThat(status).as("status of %s", body).isEqualTo(expectedStatus);
            JsonNode root = json();
            assertThat(fieldNames(root)).containsExactly("error");
            JsonNode error = root.get("error");
            assertThat(fieldNames(error)).containsExactly("message", "type", "param", "code");
            assertThat(error.get("message").isTextual()).isTrue();
            assertThat(error.get("type").asText()).isEqualTo(type);
            if (code == null) {
                assertThat(error.get("code").isNull()).as("code of %s", body).isTrue();
            } else {
                assertThat(error.get("code").asText()).isEqualTo(code);
            }
            return error;
        }
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    static ObjectNode chatBody(String model, String userText) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", userText);
        return body;
    }

    Reply chat(String key, String model, String userText) throws IOException, InterruptedException {
        return post("/v1/chat/completions", key, chatBody(model, userText));
    }

    Reply post(String path, String key, JsonNode body) throws IOException, InterruptedException {
        return send(request(path, key, DEFAULT_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    Reply postRaw(String path, String key, String body) throws IOException, InterruptedException {
        return send(request(path, key, DEFAULT_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A chat request with its own timeout, to see a hang end in {@link java.net.http.HttpTimeoutException}. */
    Reply chatWithTimeout(String key, String model, String userText, Duration timeout)
            throws IOException, InterruptedException {
        return send(request("/v1/chat/completions", key, timeout)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody(model, userText).toString())));
    }

    /** One server-sent event's data and when it arrived ({@link System#nanoTime()}). */
    record Event(String data, long atNanos) {

        boolean isDone() {
            return "[DONE]".equals(data);
        }

        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException("event data is not JSON: " + data, e);
            }
        }
    }

    /**
     * A response read line by line as it arrives: its status and headers, when they came, every
     * {@code data:} event with its arrival time, all lines (the body of a non-stream answer), and how
     * the body ended: normally, or with the connection lost in the middle ({@code failure}).
     */
    record StreamReply(int status, Map<String, List<String>> headers, long sentNanos, long headersNanos,
                       List<Event> events, List<String> lines, IOException failure) {

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase());
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The body as one text, for answers that are not streams. */
        String body() {
            return String.join("\n", lines);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body());
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The events before {@code [DONE]}, as JSON. */
        List<JsonNode> chunks() {
            return events.stream().filter(e -> !e.isDone()).map(Event::json).toList();
        }

        /** The events that carry content, in order. */
        List<Event> contentEvents() {
            return events.stream().filter(e -> !e.isDone())
                    .filter(e -> e.json().at("/choices/0/delta/content").isTextual())
                    .filter(e -> !e.json().at("/choices/0/delta").has("role"))
                    .toList();
        }

        /** Every content delta joined: what a client shows as the answer. */
        String content() {
            StringBuilder content = new StringBuilder();
            for (JsonNode chunk : chunks()) {
                content.append(chunk.at("/choices/0/delta/content").asText(""));
            }
            return content.toString();
        }

        boolean endsWithDone() {
            return !events.isEmpty() && events.get(events.size() - 1).isDone() && failure == null;
        }

        /** Milliseconds from sending the request to the event. */
        long msUntil(Event event) {
            return TimeUnit.NANOSECONDS.toMillis(event.atNanos() - sentNanos);
        }
    }

    /** Sends a chat body and reads the answer line by line as it streams in. */
    StreamReply stream(String key, JsonNode body, Duration timeout) throws IOException, InterruptedException {
        HttpRequest request = request("/v1/chat/completions", key, timeout)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        long sent = System.nanoTime();
        HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        long headersAt = System.nanoTime();
        List<Event> events = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        IOException failure = null;
        try (Stream<String> received = response.body()) {
            Iterator<String> it = received.iterator();
            while (it.hasNext()) {
                String line = it.next();
                lines.add(line);
                if (line.startsWith("data: ")) {
                    events.add(new Event(line.substring("data: ".length()), System.nanoTime()));
                }
            }
        } catch (UncheckedIOException e) {
            failure = e.getCause();
        }
        return new StreamReply(response.statusCode(), response.headers().map(), sent, headersAt, events, lines,
                failure);
    }

    /** A chat body that asks for a stream, with or without the usage chunk. */
    static ObjectNode streamBody(String model, String userText, boolean includeUsage) {
        ObjectNode body = chatBody(model, userText).put("stream", true);
        if (includeUsage) {
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    /** Waits, polling, until the server's stats satisfy the condition; they are updated by its event loops. */
    static MockStats awaitStats(MockLlmServer server, Predicate<MockStats> condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        MockStats stats = server.stats();
        while (!condition.test(stats) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            stats = server.stats();
        }
        return stats;
    }

    Reply get(String path, String key) throws IOException, InterruptedException {
        return send(request(path, key, DEFAULT_TIMEOUT).GET());
    }

    HttpRequest.Builder request(String path, String key, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root + path))
                .timeout(timeout)
                .header("content-type", "application/json");
        if (key != null) {
            builder.header("authorization", "Bearer " + key);
        }
        return builder;
    }

    HttpClient http() {
        return http;
    }

    Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.headers().map(), response.body());
    }
}
