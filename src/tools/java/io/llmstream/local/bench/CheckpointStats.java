package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.JobID;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * How long the run's checkpoints took from trigger to completion, from Flink's REST API
 * ({@code /jobs/<id>/checkpoints}: the count and the end-to-end duration's summary over all of them).
 *
 * @param completed checkpoints completed
 * @param failed checkpoints that failed (or expired)
 */
record CheckpointStats(long completed, long failed, long p50Millis, long maxMillis) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static CheckpointStats of(URI rest, JobID job) {
        try {
            HttpRequest request = HttpRequest.newBuilder(rest.resolve("/jobs/" + job + "/checkpoints"))
                    .timeout(Duration.ofSeconds(5)).GET().build();
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode root = JSON.readTree(response.body());
            JsonNode duration = root.path("summary").path("end_to_end_duration");
            return new CheckpointStats(root.path("counts").path("completed").asLong(),
                    root.path("counts").path("failed").asLong(), duration.path("p50").asLong(),
                    duration.path("max").asLong());
        } catch (IOException e) {
            return new CheckpointStats(0, 0, -1, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CheckpointStats(0, 0, -1, -1);
        }
    }

    @Override
    public String toString() {
        return String.format("checkpoints %d completed, %d failed, p50/max %,d/%,d ms", completed, failed, p50Millis,
                maxMillis);
    }
}
