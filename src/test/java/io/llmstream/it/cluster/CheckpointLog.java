package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * Every checkpoint of a job as its REST API shows it while it runs. The API keeps only the latest few in its
 * history ({@code web.checkpoints.history}), so a thread reads it every few hundred milliseconds and keeps
 * each checkpoint's last state: when it was triggered, how it ended and how long it took.
 */
public final class CheckpointLog implements AutoCloseable {
    private static final long POLL_MILLIS = 250;

    private final ClusterRest rest;
    private final String job;
    private final Map<Long, Checkpoint> byId = new TreeMap<>();
    /** For checkpoints that took longer than {@link #SLOW_MS}: each task's end-to-end time, to see who held it. */
    private final Map<Long, String> slowDetails = new TreeMap<>();
    private static final long SLOW_MS = 2_500;
    private final Thread poller;
    private volatile boolean stopped;
    private volatile long notTriggered;

    /** One checkpoint: its trigger time (epoch ms), status, end-to-end duration and failure message, if any. */
    public record Checkpoint(long id, long triggeredAtMillis, String status, long durationMs, String failure) {
        public boolean completed() {
            return status.equals("COMPLETED");
        }

        public boolean failed() {
            return status.equals("FAILED");
        }

        @Override
        public String toString() {
            return "#" + id + " " + status + " after " + durationMs + " ms" + (failure == null ? "" : ": " + failure);
        }
    }

    public CheckpointLog(ClusterRest rest, String job) {
        this.rest = rest;
        this.job = job;
        this.poller = new Thread(this::poll, "checkpoint-log-" + job);
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        while (!stopped) {
            read();
            try {
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void read() {
        try {
            JsonNode stats = rest.get("/jobs/" + job + "/checkpoints");
            List<Checkpoint> seen = new ArrayList<>();
            for (JsonNode entry : stats.path("history")) {
                String failure = entry.hasNonNull("failure_message") ? entry.get("failure_message").asText() : null;
                seen.add(new Checkpoint(entry.path("id").asLong(), entry.path("trigger_timestamp").asLong(),
                        entry.path("status").asText(), entry.path("end_to_end_duration").asLong(), failure));
            }
            long historyFailed = 0;
            for (Checkpoint checkpoint : seen) {
                if (checkpoint.completed() && checkpoint.durationMs() > SLOW_MS && !slowDetails.containsKey(checkpoint.id())) {
                    slowDetails.put(checkpoint.id(), details(checkpoint.id()));
                }
            }
            synchronized (byId) {
                for (Checkpoint checkpoint : seen) {
                    byId.put(checkpoint.id(), checkpoint);
                }
                historyFailed = byId.values().stream().filter(Checkpoint::failed).count();
            }
            // Triggers refused because not every task ran (a start, a restart) count as failed but have no entry.
            notTriggered = Math.max(notTriggered, stats.path("counts").path("failed").asLong() - historyFailed);
        } catch (Exception e) {
            // The job is between states or gone; the next read catches up.
        }
    }

    /** Each task's acknowledgement time for one checkpoint, by vertex name: which task held it. */
    private String details(long id) {
        try {
            Map<String, String> names = new java.util.HashMap<>();
            for (JsonNode vertex : rest.get("/jobs/" + job).path("vertices")) {
                names.put(vertex.path("id").asText(), vertex.path("name").asText());
            }
            // "tasks" is an object keyed by vertex id.
            JsonNode tasks = rest.get("/jobs/" + job + "/checkpoints/details/" + id).path("tasks");
            List<String> parts = new ArrayList<>();
            tasks.fields().forEachRemaining(task -> parts.add(task.getValue().path("end_to_end_duration").asLong()
                    + " ms " + names.getOrDefault(task.getKey(), task.getKey()) + " ("
                    + task.getValue().path("num_acknowledged_subtasks").asInt() + "/"
                    + task.getValue().path("num_subtasks").asInt() + " acknowledged)"));
            return String.join(", ", parts);
        } catch (Exception e) {
            return "(no details: " + e + ")";
        }
    }

    /** Who held each checkpoint that took long: its tasks' end-to-end times. */
    public Map<Long, String> slowDetails() {
        return new TreeMap<>(slowDetails);
    }

    /** Every checkpoint seen so far, by id. */
    public List<Checkpoint> all() {
        read();
        synchronized (byId) {
            return new ArrayList<>(byId.values());
        }
    }

    /** The checkpoints triggered at an instant (epoch ms) that passes the test. */
    public List<Checkpoint> triggered(LongPredicate when) {
        List<Checkpoint> chosen = new ArrayList<>();
        for (Checkpoint checkpoint : all()) {
            if (when.test(checkpoint.triggeredAtMillis())) {
                chosen.add(checkpoint);
            }
        }
        return chosen;
    }

    /** Triggers the coordinator refused because not every task was running (counted failed, no entry). */
    public long notTriggered() {
        return notTriggered;
    }

    /** A line: how many completed and failed, and the completed ones' longest and median durations. */
    public static String describe(List<Checkpoint> checkpoints) {
        List<Long> durations = new ArrayList<>();
        long failed = 0;
        for (Checkpoint checkpoint : checkpoints) {
            if (checkpoint.completed()) {
                durations.add(checkpoint.durationMs());
            } else if (checkpoint.failed()) {
                failed++;
            }
        }
        durations.sort(null);
        return String.format("%d completed, %d failed; end to end p50/max %,d / %,d ms", durations.size(), failed,
                durations.isEmpty() ? 0 : durations.get(durations.size() / 2),
                durations.isEmpty() ? 0 : durations.get(durations.size() - 1));
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        poller.interrupt();
        poller.join(5_000);
    }
}
