package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/** The Batch API's side of {@link MockTestClient}: multipart uploads, batches, polling and result files. */
final class MockBatchClient {

    static final String KEY = "sk-batch";
    static final String CHAT = "/v1/chat/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    private static final String BOUNDARY = "mock-batch-boundary-7d3f";
    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");

    private final MockTestClient client;

    MockBatchClient(MockLlmServer server) {
        this.client = new MockTestClient(server);
    }

    MockTestClient http() {
        return client;
    }

    /** A chat line of an input file. */
    static ObjectNode chatLine(String customId, String prompt) {
        return line(customId, CHAT, MockTestClient.chatBody("gpt-4o-mini", prompt));
    }

    static ObjectNode line(String customId, String url, JsonNode body) {
        ObjectNode line = JSON.createObjectNode();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", url);
        line.set("body", body);
        return line;
    }

    static String jsonl(List<? extends JsonNode> lines) {
        StringBuilder out = new StringBuilder();
        for (JsonNode line : lines) {
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** {@code POST /v1/files} with the given form fields; a null field is left out. */
    MockTestClient.Reply upload(String purpose, String filename, String content)
            throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder();
        if (purpose != null) {
            body.append("--").append(BOUNDARY).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"purpose\"\r\n\r\n")
                    .append(purpose).append("\r\n");
        }
        if (content != null) {
            body.append("--").append(BOUNDARY).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"file\"; filename=\"").append(filename)
                    .append("\"\r\nContent-Type: application/jsonl\r\n\r\n")
                    .append(content).append("\r\n");
        }
        body.append("--").append(BOUNDARY).append("--\r\n");
        return client.send(client.request("/v1/files", KEY, MockTestClient.DEFAULT_TIMEOUT)
                .setHeader("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    /** Uploads a file for a batch and returns its id. */
    String uploadLines(List<? extends JsonNode> lines) throws IOException, InterruptedException {
        MockTestClient.Reply reply = upload("batch", "input.jsonl", jsonl(lines));
        assertThat(reply.status()).as("upload: %s", reply.body()).isEqualTo(200);
        return reply.json().get("id").asText();
    }

    MockTestClient.Reply create(String inputFileId, String endpoint, JsonNode metadata)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("input_file_id", inputFileId);
        body.put("endpoint", endpoint);
        body.put("completion_window", "24h");
        if (metadata != null) {
            body.set("metadata", metadata);
        }
        return client.post("/v1/batches", KEY, body);
    }

    /** Uploads the lines and creates a batch of them; returns the Batch object the create answered with. */
    JsonNode submit(List<? extends JsonNode> lines, String endpoint) throws IOException, InterruptedException {
        MockTestClient.Reply reply = create(uploadLines(lines), endpoint, null);
        assertThat(reply.status()).as("create: %s", reply.body()).isEqualTo(200);
        return reply.json();
    }

    JsonNode batch(String id) throws IOException, InterruptedException {
        MockTestClient.Reply reply = client.get("/v1/batches/" + id, KEY);
        assertThat(reply.status()).as("batch: %s", reply.body()).isEqualTo(200);
        return reply.json();
    }

    MockTestClient.Reply cancel(String id) throws IOException, InterruptedException {
        return client.postRaw("/v1/batches/" + id + "/cancel", KEY, "");
    }

    /** Polls the batch until it has ended; every object seen along the way, the last one the ended batch. */
    List<JsonNode> awaitEnd(String id) throws IOException, InterruptedException {
        List<JsonNode> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode batch = batch(id);
        seen.add(batch);
        while (!ENDED.contains(batch.get("status").asText()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            batch = batch(id);
            seen.add(batch);
        }
        assertThat(batch.get("status").asText()).as("status of %s after 20 s", id).isIn(ENDED);
        return seen;
    }

    /** Polls the batch until {@code request_counts.completed} reaches {@code completed}; the last object seen. */
    JsonNode awaitCompleted(String id, int completed) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode batch = batch(id);
        while (batch.at("/request_counts/completed").asInt() < completed && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            batch = batch(id);
        }
        assertThat(batch.at("/request_counts/completed").asInt()).as("completed lines of %s", id)
                .isEqualTo(completed);
        return batch;
    }

    /** The lines of a file's content, each as JSON. */
    List<JsonNode> fileLines(String fileId) throws IOException, InterruptedException {
        MockTestClient.Reply reply = client.get("/v1/files/" + fileId + "/content", KEY);
        assertThat(reply.status()).as("content of %s: %s", fileId, reply.body()).isEqualTo(200);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : reply.body().split("\n")) {
            if (!line.isEmpty()) {
                lines.add(parse(line));
            }
        }
        return lines;
    }

    /** A result file's lines by custom_id, asserting each custom_id comes once. */
    Map<String, JsonNode> resultsById(String fileId) throws IOException, InterruptedException {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (JsonNode line : fileLines(fileId)) {
            JsonNode previous = byId.put(line.get("custom_id").asText(), line);
            assertThat(previous).as("custom_id %s twice in %s", line.get("custom_id"), fileId).isNull();
        }
        return byId;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }
}
