package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The parts of a cluster's REST API that tests look at: how many TaskManagers are registered, a job's state
 * and its tasks', its checkpoints' statistics and its failures.
 */
public final class ClusterRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    ClusterRest(URI base) {
        this.base = base;
    }

    public URI base() {
        return base;
    }

    /** GET of a REST path ({@code /overview}), as JSON. */
    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + request.uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Whether the REST endpoint answers at all. */
    public boolean isUp() {
        try {
            get("/overview");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** TaskManagers registered with the ResourceManager ({@code /overview}). */
    public int taskManagers() throws IOException, InterruptedException {
        return get("/overview").path("taskmanagers").asInt();
    }

    /** A job's state: CREATED, RUNNING, RESTARTING, FINISHED, FAILED, ... ({@code /jobs/<id>}). */
    public String jobState(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** Whether the job runs and every one of its tasks does (or has finished, as bounded sources do). */
    public boolean jobFullyRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        if (!job.path("state").asText().equals("RUNNING")) {
            return false;
        }
        for (JsonNode vertex : job.path("vertices")) {
            JsonNode tasks = vertex.path("tasks");
            int running = tasks.path("RUNNING").asInt() + tasks.path("FINISHED").asInt();
            if (running != vertex.path("parallelism").asInt()) {
                return false;
            }
        }
        return true;
    }

    /** Cancels a job ({@code PATCH /jobs/<id>?mode=cancel}); returns at once, the job ends soon after. */
    public void cancel(String jobId) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/jobs/" + jobId + "?mode=cancel")).timeout(TIMEOUT)
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IOException("PATCH " + request.uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
    }

    /** A job's checkpoint statistics ({@code /jobs/<id>/checkpoints}). */
    public Checkpoints checkpoints(String jobId) throws IOException, InterruptedException {
        return Checkpoints.of(get("/jobs/" + jobId + "/checkpoints"));
    }

    /** A job's failures as the exception history keeps them, oldest first ({@code /jobs/<id>/exceptions}). */
    public List<Failure> failures(String jobId) throws IOException, InterruptedException {
        List<Failure> failures = new ArrayList<>();
        for (JsonNode entry : get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries")) {
            failures.add(new Failure(entry.path("timestamp").asLong(), entry.path("exceptionName").asText(),
                    entry.path("taskName").asText(null), entry.path("endpoint").asText(null),
                    entry.path("taskManagerId").asText(null), entry.path("stacktrace").asText("")));
        }
        failures.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp()));
        return failures;
    }

    /** One failure of a job: when, what, where, and the stack trace Flink kept. */
    public record Failure(long timestamp, String exceptionName, String taskName, String endpoint,
                          String taskManagerId, String stacktrace) {

        /** Whether the failure happened on that TaskManager or names it (a connection to it lost). */
        public boolean causedBy(String taskManager) {
            return taskManager.equals(taskManagerId) || stacktrace.contains(taskManager);
        }

        @Override
        public String toString() {
            return exceptionName + " in " + taskName + " on " + taskManagerId;
        }
    }

    /**
     * Checkpoint statistics: counts and the distribution of end-to-end durations (trigger to the last
     * acknowledgement) over every completed checkpoint of the job, and the checkpoint it last restored.
     */
    public record Checkpoints(long completed, long failed, long inProgress, long restored, long minMs, long p50Ms,
                              long p90Ms, long maxMs, long avgMs, OptionalLong restoredId,
                              OptionalLong restoredAtMillis) {

        static Checkpoints of(JsonNode json) {
            JsonNode counts = json.path("counts");
            JsonNode duration = json.path("summary").path("end_to_end_duration");
            JsonNode restored = json.path("latest").path("restored");
            boolean hasRestored = restored.isObject() && restored.has("id");
            return new Checkpoints(counts.path("completed").asLong(), counts.path("failed").asLong(),
                    counts.path("in_progress").asLong(), counts.path("restored").asLong(),
                    duration.path("min").asLong(), duration.path("p50").asLong(), duration.path("p90").asLong(),
                    duration.path("max").asLong(), duration.path("avg").asLong(),
                    hasRestored ? OptionalLong.of(restored.path("id").asLong()) : OptionalLong.empty(),
                    hasRestored ? OptionalLong.of(restored.path("restore_timestamp").asLong()) : OptionalLong.empty());
        }

        @Override
        public String toString() {
            return String.format("%d completed, %d failed (or not triggered: tasks not running), %d in progress; end to end min/p50/p90/max %,d / %,d / %,d"
                    + " / %,d ms", completed, failed, inProgress, minMs, p50Ms, p90Ms, maxMs);
        }
    }
}
