package io.llmstream.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.call.http.EndpointHeaders;
import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.Secret;
import org.asynchttpclient.Request;
import org.asynchttpclient.RequestBuilder;
import org.asynchttpclient.Response;
import org.asynchttpclient.request.body.multipart.ByteArrayPart;
import org.asynchttpclient.request.body.multipart.StringPart;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The provider's Batch API for one endpoint and key: files uploaded ({@code POST /files}, purpose
 * {@code batch}) and read back ({@code GET /files/{id}/content}), batches created, described, listed and
 * cancelled ({@code /batches}), on the endpoint's base URL with its headers, query and authentication, through
 * the job's shared HTTP client. A refusal completes the future with a {@link BatchApiException} that carries the
 * status and the wait the provider asked for; the key never appears in one.
 */
public final class BatchApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EndpointSettings endpoint;
    private final Secret key;
    private final SharedHttpClient.Lease http;
    private final Duration timeout;

    public BatchApi(EndpointSettings endpoint, Secret key, SharedHttpClient.Lease http, Duration timeout) {
        this.endpoint = endpoint;
        this.key = key;
        this.http = http;
        this.timeout = timeout;
    }

    /** Uploads a batch input file; completes with its file id. */
    public CompletableFuture<String> upload(String filename, byte[] jsonl) {
        RequestBuilder request = request("POST", "/files")
                .addBodyPart(new StringPart("purpose", "batch"))
                .addBodyPart(new ByteArrayPart("file", jsonl, "application/jsonl", StandardCharsets.UTF_8, filename));
        return json(request.build(), "upload a batch file").thenApply(file -> file.path("id").asText());
    }

    /** Creates a batch of an uploaded file. */
    public CompletableFuture<BatchStatus> create(String fileId, String url, String window, Map<String, String> metadata) {
        ObjectNode body = JSON.createObjectNode();
        body.put("input_file_id", fileId);
        body.put("endpoint", url);
        body.put("completion_window", window);
        ObjectNode meta = body.putObject("metadata");
        metadata.forEach(meta::put);
        return json(request("POST", "/batches").setHeader("Content-Type", "application/json")
                .setBody(body.toString()).build(), "create a batch").thenApply(BatchStatus::of);
    }

    /** How a batch stands now. */
    public CompletableFuture<BatchStatus> get(String batchId) {
        return json(request("GET", "/batches/" + batchId).build(), "read batch " + batchId).thenApply(BatchStatus::of);
    }

    /** A page of the key's batches, newest first, after {@code afterId} (null: from the newest). */
    public CompletableFuture<Page> list(String afterId, int limit) {
        RequestBuilder request = request("GET", "/batches").addQueryParam("limit", String.valueOf(limit));
        if (afterId != null) {
            request.addQueryParam("after", afterId);
        }
        return json(request.build(), "list batches").thenApply(page -> {
            List<BatchStatus> batches = new ArrayList<>();
            page.path("data").forEach(batch -> batches.add(BatchStatus.of(batch)));
            return new Page(List.copyOf(batches), page.path("has_more").asBoolean(false));
        });
    }

    /** A page of batches, and whether more follow. */
    public record Page(List<BatchStatus> batches, boolean hasMore) {}

    /** Asks the provider to cancel a batch. */
    public CompletableFuture<BatchStatus> cancel(String batchId) {
        return json(request("POST", "/batches/" + batchId + "/cancel").build(), "cancel batch " + batchId)
                .thenApply(BatchStatus::of);
    }

    /** The lines of a file (an output or error file); blank lines left out. */
    public CompletableFuture<List<String>> lines(String fileId) {
        return send(request("GET", "/files/" + fileId + "/content").build(), "read file " + fileId).thenApply(body -> {
            List<String> lines = new ArrayList<>();
            for (String line : body.getResponseBody(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        });
    }

    private RequestBuilder request(String method, String path) {
        RequestBuilder request = new RequestBuilder(method).setUrl(endpoint.baseUrl() + path)
                .setRequestTimeout(timeout).setReadTimeout(timeout).setHeader("Accept", "application/json");
        return EndpointHeaders.apply(request, endpoint, key);
    }

    private CompletableFuture<JsonNode> json(Request request, String what) {
        return send(request, what).thenApply(response -> {
            try {
                return JSON.readTree(response.getResponseBody(StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new BatchApiException(what, response.getStatusCode(), 0, "the answer is not JSON");
            }
        });
    }

    private CompletableFuture<Response> send(Request request, String what) {
        return http.execute(request).thenApply(response -> {
            int status = response.getStatusCode();
            if (status / 100 != 2) {
                throw new BatchApiException(what, status, retryAfterMillis(response), errorMessage(response));
            }
            return response;
        });
    }

    private static long retryAfterMillis(Response response) {
        String millis = response.getHeader("retry-after-ms");
        String seconds = response.getHeader("retry-after");
        try {
            if (millis != null) {
                return (long) Double.parseDouble(millis.strip());
            }
            if (seconds != null) {
                return (long) (Double.parseDouble(seconds.strip()) * 1000);
            }
        } catch (NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static String errorMessage(Response response) {
        try {
            JsonNode error = JSON.readTree(response.getResponseBody(StandardCharsets.UTF_8)).path("error");
            String message = error.path("message").asText("");
            String code = error.path("code").asText(error.path("type").asText(""));
            return code.isEmpty() ? message : code + ": " + message;
        } catch (JsonProcessingException e) {
            return "";
        }
    }
}
