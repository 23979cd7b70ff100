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
