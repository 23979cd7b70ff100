package io.llmstream.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * The parts of Flink's REST API that tell how a job fares: its failures ({@code /jobs/<id>/exceptions}, one
 * entry per failure, the stack trace included) and its latest completed checkpoint
 * ({@code /jobs/<id>/checkpoints}). Flink serves them on every cluster, the embedded one of
 * {@code java -jar} included, once it has a known port: {@link #onLoopback}.
 */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final String LOOPBACK = "127.0.0.1";

    /** One failure as Flink's exception history has it. */
    record Failure(long timestamp, String exceptionName, String stackTrace, String taskName) {}

    private final URI job;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();

    FlinkRest(URI base, JobID jobId) {
        this.job = base.resolve("/jobs/" + jobId + "/");
    }

    /**
     * Has the embedded cluster of a local environment serve its REST API on loopback at this port (Flink
     * picks a random one otherwise), and returns its address.
     */
    static URI onLoopback(Configuration settings, int port) {
        settings.set(RestOptions.ADDRESS, LOOPBACK);
        settings.set(RestOptions.BIND_ADDRESS, LOOPBACK);
        settings.set(RestOptions.PORT, port);
        settings.set(RestOptions.BIND_PORT, String.valueOf(port));
        return URI.create("http://" + LOOPBACK + ":" + port + "/");
    }

    /** The failures in Flink's history, oldest first (the history keeps the latest few). */
    List<Failure> failures() throws IOException, InterruptedException {
        List<Failure> failures = new ArrayList<>();
        for (JsonNode entry : get("exceptions").path("exceptionHistory").path("entries")) {
            failures.add(new Failure(entry.path("timestamp").asLong(), entry.path("exceptionName").asText(""),
                    entry.path("stacktrace").asText(""), entry.path("taskName").asText("")));
        }
        failures.sort(Comparator.comparingLong(Failure::timestamp));
        return failures;
    }

    /** When the latest checkpoint completed (its last acknowledgement), if one has. */
    OptionalLong lastCheckpointCompletedAt() throws IOException, InterruptedException {
        JsonNode completed = get("checkpoints").path("latest").path("completed");
        return completed.hasNonNull("latest_ack_timestamp")
                ? OptionalLong.of(completed.get("latest_ack_timestamp").asLong())
                : OptionalLong.empty();
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(job.resolve(path)).timeout(REQUEST_TIMEOUT).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + request.uri() + " answered " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }
}
