package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.it.cluster.ClusterRest;
import io.llmstream.it.cluster.StandaloneCluster;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real cluster loses a TaskManager: a JobManager and two TaskManagers in JVMs of their own, the job jar
 * submitted by {@code flink run}, exactly-once delivery, a model paced at the mock's own limit and a
 * backlog. One TaskManager is killed with SIGKILL once output is committed and a new one started; the job
 * restores its last checkpoint and finishes.
 *
 * <p>Checked: every prompt's own answer exactly once under read_committed; no 429 from the mock after the
 * restore; prompts asked again at most those admitted in one checkpoint interval plus those in flight
 * ({@code rpm/60 × interval + capacity × parallelism}); every checkpoint taken while the backlog waits for
 * the limit complete within {@value #CHECKPOINT_BOUND_MS} ms of its trigger (the last ones of a bounded run
 * also wait for the call stage to drain its queue at the limit, and are printed apart). The measured numbers are printed whatever the outcome.
 */
class MultiJvmRecoveryIT {
    private static final int PROMPTS = 4000;
    private static final int RPM = 3000;
    private static final int PARALLELISM = 2;
    private static final int CAPACITY = 100;
    private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
    private static final long CHECKPOINT_BOUND_MS = 5000;
    private static final String MODEL = "gpt-4o-mini";
    /** Prompts that may be asked twice: admitted in one checkpoint interval, plus those in flight. */
    private static final long ASKED_AGAIN_BOUND = RPM / 60 * CHECKPOINT_INTERVAL.toSeconds() + CAPACITY * PARALLELISM;
    /**
     * How long the job may take from submission to its end: the backlog at the limit (80 s) plus a restart and
     * its replay, with room for a busy machine. A run on code that misses the bounds by far stops here with
     * its numbers rather than holding up the suite.
     */
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

    @Test
    void aKilledTaskManagerCostsOneCheckpointIntervalAndNoRateLimit(@TempDir Path tmp) throws Exception {
        Report report = new Report();
        long started = System.nanoTime();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(10)
                        .limit(MockOptions.ANY, MODEL, RPM, 1_000_000).build());
                StandaloneCluster cluster = StandaloneCluster.builder(Path.of("target", "cluster",
                        getClass().getSimpleName())).taskManagers(PARALLELISM)
                        // As the deployment sets it: small buffers in front of the rate-limited call stage.
                        .set("taskmanager.network.memory.buffer-debloat.enabled", "true").start()) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? PARALLELISM : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"m-" + i + "\", \"prompt\": \"Multi JVM " + i + "\", \"max_tokens\": 20}");
            Path config = tmp.resolve("multi-jvm-it.yaml");
            Files.writeString(config, String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest,",
                    "        delivery-guarantee: exactly-once, transactional-id-prefix: multi-jvm-it}",
                    "endpoints: {openai: {base-url: '" + mock.baseUrl() + "', api-keys: [it-key]}}",
                    "models: {" + MODEL + ": {rpm: " + RPM + ", tpm: 1000000}}",
                    "call: {capacity: " + CAPACITY + "}",
                    "job: {bounded: true, parallelism: " + PARALLELISM + ", checkpoint-interval: "
                            + CHECKPOINT_INTERVAL.toSeconds() + "s}",
                    ""));
            ClusterRest rest = cluster.rest();

            long submitted = System.nanoTime();
            // flink run: the client JVM checks Kafka, builds the job graph from the jar's main and submits it.
            String job = cluster.submitDetached(Path.of("target", "llmstream-job.jar"),
                    List.of("--config", Path.of("conf/llmstream.yaml").toAbsolutePath().toString(),
                            "--config", config.toString()));
            try {
                await("the job running", Duration.ofSeconds(60), () -> fullyRunning(rest, job));
                // Some output committed, then a further one and a half intervals of answers: the kill falls
                // between checkpoints, not just after one (outputs are committed when a checkpoint completes).
                awaitCommitted(kafka.bootstrapServers(), 1, Duration.ofSeconds(120));
                report.firstCommitSeconds = seconds(System.nanoTime() - submitted);
                long answeredAtFirstCommit = mock.stats().status(200);
                long killAt = Math.max(PROMPTS / 3,
                        answeredAtFirstCommit + RPM / 60 * CHECKPOINT_INTERVAL.toSeconds() * 3 / 2);
                await(killAt + " prompts answered", Duration.ofSeconds(60), () -> mock.stats().status(200) >= killAt
                        || !state(rest, job).equals("RUNNING"));
                assertThat(state(rest, job)).as("the job's state when a TaskManager was to be killed (the first "
                        + "output was committed once %d of %d prompts were answered)", answeredAtFirstCommit, PROMPTS)
                        .isEqualTo("RUNNING");
                report.answeredAtKill = mock.stats().status(200);

                long killed = System.nanoTime();
                cluster.killTaskManager("tm-1");
                cluster.startTaskManager();
                await("the job restored from a checkpoint and running again", Duration.ofSeconds(120),
                        () -> restored(rest, job) && fullyRunning(rest, job) || ended(rest, job));
                assertThat(ended(rest, job)).as("the job ended before it was restored: %s", state(rest, job))
                        .isFalse();
                report.recoverySeconds = seconds(System.nanoTime() - killed);
                MockStats atRestore = mock.stats();
                report.rateLimitedBeforeRestore = atRestore.rateLimited();

                await("the job finished", RUN_TIMEOUT.minus(Duration.ofNanos(System.nanoTime() - submitted)),
                        () -> {
                            // The checkpoints while the backlog waits for the limit; the last ones of a bounded
                            // run also wait for the call stage to drain its queue at the limit.
                            ClusterRest.Checkpoints sofar = checkpoints(rest, job);
                            if (sofar != null && mock.stats().status(200) < PROMPTS) {
                                report.checkpointsWhileBacklogged = sofar;
                            }
                            return ended(rest, job);
                        });
                assertThat(state(rest, job)).as("the job's final state").isEqualTo("FINISHED");
                report.runSeconds = seconds(System.nanoTime() - submitted);

                Map<String, JsonNode> deadLetters = KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq");
                assertThat(deadLetters).as("dead letters").isEmpty();
                Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                        PROMPTS, true);
                for (int i = 0; i < PROMPTS; i++) {
                    assertThat(completions.get("m-" + i).path("content").asText()).as("m-" + i)
                            .isEqualTo(MockAnswers.contentFor("Multi JVM " + i));
                }
            } finally {
                report.measure(rest, job, mock.stats());
                System.out.println(report.text(seconds(System.nanoTime() - started), cluster.directory()));
            }
            SoftAssertions bounds = new SoftAssertions();
            bounds.assertThat(report.rateLimited - report.rateLimitedBeforeRestore).as("429s after the restore")
                    .isZero();
            bounds.assertThat(report.askedAgain).as("prompts asked again (bound: %d/s × %d s + %d × %d)",
                    RPM / 60, CHECKPOINT_INTERVAL.toSeconds(), CAPACITY, PARALLELISM)
                    .isLessThanOrEqualTo(ASKED_AGAIN_BOUND);
            bounds.assertThat(report.checkpointsWhileBacklogged).as("checkpoints while the backlog waited").isNotNull();
            if (report.checkpointsWhileBacklogged != null) {
                bounds.assertThat(report.checkpointsWhileBacklogged.maxMs())
                        .as("longest checkpoint while the backlog waited, trigger to completion (ms)")
                        .isLessThanOrEqualTo(CHECKPOINT_BOUND_MS);
            }
            bounds.assertAll();
        }
    }

    /** What the run measured, printed whether it passes or not. */
    private static final class Report {
        double runSeconds = Double.NaN;
        double recoverySeconds = Double.NaN;
        long rateLimitedBeforeRestore = -1;
        long answeredAtKill;
        double firstCommitSeconds = Double.NaN;
        long rateLimited;
        long requests;
        long answered;
        long askedAgain;
        int failures;
        ClusterRest.Checkpoints checkpoints;
        ClusterRest.Checkpoints checkpointsWhileBacklogged;

        void measure(ClusterRest rest, String job, MockStats stats) {
            requests = stats.requests();
            rateLimited = stats.rateLimited();
            answered = stats.status(200);
            askedAgain = answered - PROMPTS;
            try {
                checkpoints = rest.checkpoints(job);
                failures = rest.failures(job).size();
            } catch (Exception e) {
                System.out.println("MultiJvmRecoveryIT: cannot read the job's checkpoints: " + e);
            }
        }

        String text(double totalSeconds, Path clusterDir) {
            return String.join("\n",
                    "MultiJvmRecoveryIT: " + PROMPTS + " prompts at " + RPM + " RPM, parallelism " + PARALLELISM
                            + ", capacity " + CAPACITY + ", checkpoints every " + CHECKPOINT_INTERVAL.toSeconds()
                            + " s, exactly-once; tm-1 killed with SIGKILL at " + answeredAtKill
                            + " prompts answered, tm-3 started",
                    String.format("  run (submit to FINISHED)      %.1f s; first output committed after %.1f s; the test"
                            + " %.1f s", runSeconds, firstCommitSeconds, totalSeconds),
                    String.format("  recovery (kill to RUNNING)    %.1f s; job failures %d", recoverySeconds, failures),
                    "  checkpoints                   " + checkpoints,
                    "    while the backlog waited    " + checkpointsWhileBacklogged + " (bound " + CHECKPOINT_BOUND_MS
                            + " ms)",
                    String.format("  prompts asked again           %,d (200s %,d − prompts %,d; bound %,d)", askedAgain,
                            answered, PROMPTS, ASKED_AGAIN_BOUND),
                    String.format("  429s after the restore        %,d (all 429s %,d, requests %,d; bound 0)",
                            rateLimitedBeforeRestore < 0 ? rateLimited : rateLimited - rateLimitedBeforeRestore,
                            rateLimited, requests),
                    "  logs                          " + clusterDir.resolve("log"));
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static ClusterRest.Checkpoints checkpoints(ClusterRest rest, String job) {
        try {
            return rest.checkpoints(job);
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean fullyRunning(ClusterRest rest, String job) {
        try {
            return rest.jobFullyRunning(job);
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean restored(ClusterRest rest, String job) {
        try {
            return rest.checkpoints(job).restoredId().isPresent();
        } catch (Exception e) {
            return false;
        }
    }

    /** Whether the job has reached a final state: finished, failed or cancelled. */
    private static boolean ended(ClusterRest rest, String job) {
        return List.of("FINISHED", "FAILED", "CANCELED").contains(state(rest, job));
    }

    private static String state(ClusterRest rest, String job) {
        try {
            return rest.jobState(job);
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** Waits until a read_committed reader has seen {@code atLeast} completions. */
    private static void awaitCommitted(String bootstrapServers, int atLeast, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("completions"), true)) {
            while (seen < atLeast && System.nanoTime() < deadline) {
                seen += reader.poll(Duration.ofMillis(200)).size();
            }
        }
        if (seen < atLeast) {
            throw new AssertionError("waited " + timeout.toSeconds() + " s for " + atLeast
                    + " committed completions, saw " + seen);
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what);
            }
            Thread.sleep(200);
        }
    }
}
