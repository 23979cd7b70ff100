package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.it.cluster.CheckpointLog;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real cluster loses a TaskManager: a JobManager and two one-slot TaskManagers in JVMs of their own (once
 * with chaining off on Flink's default network settings, once with chaining on and buffer debloating on),
 * the job jar submitted by {@code flink run},
 * exactly-once delivery and a backlog waiting for the models' limits. One TaskManager is killed with SIGKILL
 * once output is committed and a new one started; the job restores its last checkpoint.
 *
 * <p>Checked in both runs: every prompt's own answer at most once under read_committed (all of them when the
 * run can finish); prompts asked again at most {@code rpm/60 × interval + capacity × parallelism}; at most 1%
 * of requests answered 429, the restart included; every checkpoint completes within {@value #CHECKPOINT_BOUND_MS}
 * ms of its trigger, none fails but one in progress at the kill, the first one of the run and the first after
 * the restore included; and the job fails only because of the kill. What was measured is printed either way.
 */
class MultiJvmRecoveryIT {
    private static final int PARALLELISM = 2;
    private static final int CAPACITY = 100;
    private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
    /**
     * Issue 16's promise: every checkpoint within 10 s at a 2 s interval while the backlog waits. (5 s, stricter
     * than the promise, failed twice in five runs on two cores with three TaskManager JVMs: 5.8 and 6.3 s.)
     */
    private static final long CHECKPOINT_BOUND_MS = 10_000;
    /** From the restore to the first completed checkpoint: the tasks' start and one interval, with room. */
    private static final long FIRST_CHECKPOINT_AFTER_RESTORE_MS = 30_000;
    private static final String KILLED = "tm-1";
    /** The end of a bounded run: the last requests of each instance answered at the budget's pace. */
    private static final long END_OF_RUN_DRAIN_MS = 10_000;

    /**
     * The issue's cluster: operator chaining off (as users turn it off to see each operator's metrics), two
     * models at 2,400 RPM each and 3,000 prompts waiting. Records waiting for budget wait in the exchange in
     * front of the call stage; checkpoint barriers must pass them, and a restore must not wait for them: what
     * the source held in its output buffers at the restored checkpoint, delivered again before any barrier,
     * is taken in at once.
     */
    @Test
    void withChainingOffAKilledTaskManagerCostsOneCheckpointIntervalAndCheckpointsStayShort(@TempDir Path tmp)
            throws Exception {
        Scenario scenario = new Scenario("chaining off, two models at 2,400 RPM", true, true, 3000,
                List.of(new Model("model-a", 2400, 0), new Model("model-b", 2400, 0)));
        try (Run run = new Run(scenario, tmp)) {
            run.start();
            run.killAfterCommittedOutput(1000);
            run.awaitFinished();
            run.checkAll(true);
        }
    }

    /**
     * Restored budgets matter: a daily request limit ({@code rpd}) is about half spent when a TaskManager is
     * killed. Restored from the checkpoint, the job knows what it spent and stops at the day's limit, the
     * prompts beyond it waiting (and checkpoints going on while they wait). Had the budgets been lost with
     * the TaskManager, the job would have started a new day's quota and sent the whole backlog. The job is
     * unbounded, as in production: a bounded one completes no checkpoint once a source instance has read to its
     * end while the rest of its input waits for the next day (its end of input waits in the exchange behind them).
     */
    @Test
    void aDailyLimitHalfSpentBeforeTheKillIsNotExceededAfterTheRestore(@TempDir Path tmp) throws Exception {
        int rpd = 2000;
        Scenario scenario = new Scenario("chaining on, buffer debloating on, unbounded, 3,000 RPM and 2,000 requests "
                + "per day", false, false, 3000, List.of(new Model("gpt-4o-mini", 3000, rpd)));
        try (Run run = new Run(scenario, tmp)) {
            run.start();
            run.killAfterCommittedOutput(rpd / 2);
            // Past the restore: the rest of the day's quota, then the backlog waits for the next day's.
            run.awaitNoNewAnswers(Duration.ofSeconds(10), Duration.ofSeconds(150));
            long answeredAtPlateau = run.mock.stats().status(200);
            run.watchCheckpoints(Duration.ofSeconds(12));
            run.cancel();
            run.report.stateDroppedWouldAllow = run.report.answeredAtKill + rpd;
            SoftAssertions bounds = new SoftAssertions();
            bounds.assertThat(answeredAtPlateau).as("requests answered in all, for a quota of %d a day (the "
                    + "quota is charged again for prompts asked again after the restore)", rpd)
                    .isLessThanOrEqualTo(rpd + run.askedAgainBound())
                    .isGreaterThanOrEqualTo(rpd * 9 / 10);
            bounds.assertAll();
            run.checkAll(false);
        }
    }

    /** A model of a run: its limits at the mock (per minute) and in the job (per minute and per day). */
    private record Model(String name, int rpm, int rpd) {}

    /**
     * A run's topology, input and models.
     *
     * @param bounded whether the job stops at the input's end ({@code job.bounded}); a bounded job's tail completes
     *     no checkpoint while prompts wait for budget (a source instance at its end sends no barrier)
     */
    private record Scenario(String name, boolean chainingOff, boolean bounded, int prompts, List<Model> models) {
        int rpm() {
            return models.stream().mapToInt(Model::rpm).sum();
        }

        String model(int prompt) {
            return models.get(prompt % models.size()).name();
        }
    }

    /** One run on a fresh broker, mock and cluster, and what it measured. */
    private static final class Run implements AutoCloseable {
        final Scenario scenario;
        final Path tmp;
        final Report report;
        final EmbeddedKafkaBroker kafka;
        final MockLlmServer mock;
        final StandaloneCluster cluster;
        final long started = System.nanoTime();
        ClusterRest rest;
        String job;
        CheckpointLog checkpoints;
        long submittedNanos;
        long killedAtMillis = Long.MAX_VALUE;
        long restoredAtMillis = Long.MAX_VALUE;
        long allAnsweredAtMillis = Long.MAX_VALUE;
        /** When tasks finished their share of a bounded run (sources at the end of their input included). */
        final List<Long> finishedAtMillis = new ArrayList<>();
        int finishedTasks;
        /** When every task ran again after the restore. */
        long runningAgainAtMillis = Long.MAX_VALUE;
        long cancelledAtMillis = Long.MAX_VALUE;

        Run(Scenario scenario, Path tmp) throws Exception {
            this.scenario = scenario;
            this.tmp = tmp;
            this.report = new Report(scenario);
            MockOptions.Builder mockOptions = MockOptions.builder().port(0).latencyMs(20).seed(10);
            for (Model model : scenario.models()) {
                mockOptions.limit(MockOptions.ANY, model.name(), model.rpm(), 1_000_000);
            }
            this.kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
            this.mock = MockLlmServer.start(mockOptions.build());
            StandaloneCluster.Builder builder = StandaloneCluster.builder(Path.of("target", "cluster",
                    "MultiJvmRecoveryIT-" + (scenario.chainingOff() ? "chaining-off" : "daily-limit")))
                    .taskManagers(PARALLELISM);
            if (scenario.chainingOff()) {
                builder.set("pipeline.operator-chaining.enabled", "false");
            } else {
                // The other setting a cluster may have (the deployment sets it): small buffers in the exchanges.
                builder.set("taskmanager.network.memory.buffer-debloat.enabled", "true");
            }
            this.cluster = builder.start();
        }

        void start() throws Exception {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? PARALLELISM : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", scenario.prompts(),
                    i -> "{\"id\": \"m-" + i + "\", \"model\": \"" + scenario.model(i) + "\", \"prompt\": \"Multi JVM "
                            + i + "\", \"max_tokens\": 20}");
            StringBuilder models = new StringBuilder();
            for (Model model : scenario.models()) {
                models.append(models.length() == 0 ? "" : ", ").append(model.name()).append(": {endpoint: openai, rpm: ")
                        .append(model.rpm()).append(", tpm: 1000000").append(model.rpd() > 0 ? ", rpd: " + model.rpd() : "")
                        .append("}");
            }
            Path config = tmp.resolve("multi-jvm-it.yaml");
            Files.writeString(config, String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest,",
                    "        delivery-guarantee: exactly-once, transactional-id-prefix: multi-jvm-it}",
                    "endpoints: {openai: {base-url: '" + mock.baseUrl() + "', api-keys: [it-key]}}",
                    "models: {" + models + "}",
                    "default-model: " + scenario.models().get(0).name(),
                    "call: {capacity: " + CAPACITY + "}",
                    "job: {bounded: " + scenario.bounded() + ", parallelism: " + PARALLELISM + ", checkpoint-interval: "
                            + CHECKPOINT_INTERVAL.toSeconds() + "s}",
                    ""));
            rest = cluster.rest();
            submittedNanos = System.nanoTime();
            // flink run: the client JVM checks Kafka, builds the job graph from the jar's main and submits it.
            job = cluster.submitDetached(Path.of("target", "llmstream-job.jar"),
                    List.of("--config", Path.of("conf/llmstream.yaml").toAbsolutePath().toString(),
                            "--config", config.toString()));
            checkpoints = new CheckpointLog(rest, job);
            await("the job running", Duration.ofSeconds(60), () -> fullyRunning(rest, job));
        }

        /**
         * Kills a TaskManager once some output is committed and a further one and a half intervals of answers
         * came, but not before {@code atLeast} answers: the kill falls between checkpoints, not just after one.
         */
        void killAfterCommittedOutput(long atLeast) throws Exception {
            awaitCommitted(kafka.bootstrapServers(), 1, Duration.ofSeconds(120));
            report.firstCommitSeconds = seconds(System.nanoTime() - submittedNanos);
            long answeredAtFirstCommit = mock.stats().status(200);
            long killAt = Math.max(atLeast,
                    answeredAtFirstCommit + scenario.rpm() / 60 * CHECKPOINT_INTERVAL.toSeconds() * 3 / 2);
            await(killAt + " prompts answered", Duration.ofSeconds(90), () -> mock.stats().status(200) >= killAt
                    || !state(rest, job).equals("RUNNING"));
            assertThat(state(rest, job)).as("the job's state when a TaskManager was to be killed (the first "
                    + "output was committed once %d of %d prompts were answered)", answeredAtFirstCommit,
                    scenario.prompts()).isEqualTo("RUNNING");
            report.answeredAtKill = mock.stats().status(200);
            long killed = System.nanoTime();
            killedAtMillis = System.currentTimeMillis();
            cluster.killTaskManager(KILLED);
            cluster.startTaskManager();
            await("the job restored from a checkpoint and running again", Duration.ofSeconds(120), () -> {
                // Flink 2.2.1 can shut a surviving TaskManager down as well ("FATAL - exception in exception
                // handler": its tasks' clean-up recycles a buffer of the dead peer's channel); a supervisor
                // starts it again, and so does this test, saying so.
                report.replacedTaskManagers.addAll(cluster.replaceEndedTaskManagers());
                return restored(rest, job) && fullyRunning(rest, job) || ended(rest, job);
            });
            assertThat(ended(rest, job)).as("the job ended before it was restored: %s", state(rest, job)).isFalse();
            report.recoverySeconds = seconds(System.nanoTime() - killed);
            runningAgainAtMillis = System.currentTimeMillis();
            restoredAtMillis = rest.checkpoints(job).restoredAtMillis().orElse(killedAtMillis);
            report.rateLimitedBeforeRestore = mock.stats().rateLimited();
        }

        void awaitFinished() throws Exception {
            await("the job finished", Duration.ofMinutes(4).minus(Duration.ofNanos(System.nanoTime() - submittedNanos)),
                    () -> {
                        if (allAnsweredAtMillis == Long.MAX_VALUE && mock.stats().status(200) >= scenario.prompts()) {
                            allAnsweredAtMillis = System.currentTimeMillis();
                        }
                        int finished = finishedTasks(rest, job);
                        if (finished > finishedTasks) {
                            finishedTasks = finished;
                            finishedAtMillis.add(System.currentTimeMillis());
                        }
                        return ended(rest, job);
                    });
            assertThat(state(rest, job)).as("the job's final state").isEqualTo("FINISHED");
            report.runSeconds = seconds(System.nanoTime() - submittedNanos);
        }

        /** Waits until the mock answers no new request for {@code quiet}. */
        void awaitNoNewAnswers(Duration quiet, Duration timeout) throws Exception {
            long[] last = {mock.stats().status(200), System.nanoTime()};
            await("no new answers for " + quiet.toSeconds() + " s", timeout, () -> {
                long answered = mock.stats().status(200);
                if (answered != last[0]) {
                    last[0] = answered;
                    last[1] = System.nanoTime();
                }
                return System.nanoTime() - last[1] >= quiet.toNanos();
            });
            report.plateauAt = last[0];
        }

        /** Lets checkpoints go on for a while, with the backlog waiting. */
        void watchCheckpoints(Duration period) throws InterruptedException {
            long from = System.currentTimeMillis();
            Thread.sleep(period.toMillis());
            report.whileWaitingForTheDay = checkpoints.triggered(at -> at >= from);
        }

        void cancel() throws Exception {
            cancelledAtMillis = System.currentTimeMillis();
            rest.cancel(job);
            await("the job cancelled", Duration.ofSeconds(60), () -> ended(rest, job));
            report.runSeconds = seconds(System.nanoTime() - submittedNanos);
        }

        /**
         * Whether Flink declined the checkpoint because tasks finished their share of a bounded run: a task that
         * is closing or gone declines (a source at the end of its input, the others once every prompt had an
         * answer), and the call stage's union state cannot be checkpointed while some of its instances have
         * finished and others have not; the final checkpoint, when all have, commits.
         */
        boolean partiallyFinished(CheckpointLog.Checkpoint checkpoint) {
            if (checkpoint.failure() == null || !(checkpoint.failure().contains("task is closing")
                    || checkpoint.failure().contains("unknown task")
                    || checkpoint.failure().contains("Checkpoint Coordinator is suspending"))) {
                return false;
            }
            long at = checkpoint.triggeredAtMillis();
            // The call stage's instances drain their last requests (up to capacity, at the budget's pace)
            // after their input ended; a checkpoint then finds a task closing.
            return at + END_OF_RUN_DRAIN_MS >= allAnsweredAtMillis
                    || finishedAtMillis.stream().anyMatch(finished -> Math.abs(finished - at) <= 3000);
        }

        long askedAgainBound() {
            return (long) scenario.rpm() / 60 * CHECKPOINT_INTERVAL.toSeconds() + (long) CAPACITY * PARALLELISM;
        }

        /**
         * Checks outputs, prompts asked again, 429s, checkpoints and failures.
         *
         * @param finished whether the run answered every prompt
         */
        void checkAll(boolean finished) throws Exception {
            MockStats stats = mock.stats();
            report.measure(stats, checkpoints.all(), checkpoints.notTriggered(), rest.failures(job));
            report.slowCheckpoints = checkpoints.slowDetails();
            Map<String, JsonNode> deadLetters = KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq");
            Map<String, JsonNode> completions = finished
                    ? KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", scenario.prompts(), true)
                    : KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions", true);
            SoftAssertions bounds = new SoftAssertions();
            bounds.assertThat(deadLetters).as("dead letters").isEmpty();
            if (finished) {
                bounds.assertThat(completions).as("completions").hasSize(scenario.prompts());
            }
            completions.forEach((id, completion) -> bounds.assertThat(completion.path("content").asText()).as(id)
                    .isEqualTo(MockAnswers.contentFor("Multi JVM " + id.substring(2))));
            if (finished) {
                bounds.assertThat(stats.status(200) - scenario.prompts()).as("prompts asked again (bound: %d/s × %d s + %d × %d)",
                        scenario.rpm() / 60, CHECKPOINT_INTERVAL.toSeconds(), CAPACITY, PARALLELISM)
                        .isLessThanOrEqualTo(askedAgainBound());
            }
            bounds.assertThat(stats.rateLimited()).as("429s of %d requests, the restart included", stats.requests())
                    .isLessThanOrEqualTo(stats.requests() / 100);

            List<CheckpointLog.Checkpoint> all = checkpoints.all();
            bounds.assertThat(all.stream().filter(c -> c.completed() && c.triggeredAtMillis() < killedAtMillis))
                    .as("checkpoints completed before the kill").isNotEmpty();
            // The kill may fail the job twice (the survivors notice the lost peer at different times): the second
            // restart, after the job was first running again, takes as long as the first.
            long lastFailureOfTheKill = report.failures.stream().filter(failure -> failure.causedBy(KILLED))
                    .mapToLong(ClusterRest.Failure::timestamp).max().orElse(killedAtMillis);
            long restartedAtMillis = Math.max(runningAgainAtMillis,
                    lastFailureOfTheKill + (runningAgainAtMillis - killedAtMillis));
            for (CheckpointLog.Checkpoint checkpoint : all) {
                // In progress at the kill, or triggered while the job restarted.
                boolean atTheKill = checkpoint.triggeredAtMillis() + CHECKPOINT_BOUND_MS + 1000 >= killedAtMillis
                        && checkpoint.triggeredAtMillis() <= restartedAtMillis;
                if (checkpoint.completed()) {
                    bounds.assertThat(checkpoint.durationMs()).as("checkpoint %s, trigger to completion (ms)", checkpoint)
                            .isLessThanOrEqualTo(CHECKPOINT_BOUND_MS);
                } else if (checkpoint.failed() && !atTheKill && !partiallyFinished(checkpoint)
                        && checkpoint.triggeredAtMillis() + 1000 < cancelledAtMillis) {
                    bounds.fail("checkpoint %s failed, not at the kill", checkpoint);
                }
            }
            long firstAfterRestore = all.stream().filter(c -> c.completed() && c.triggeredAtMillis() >= restoredAtMillis)
                    .mapToLong(c -> c.triggeredAtMillis() + c.durationMs()).min().orElse(Long.MAX_VALUE);
            bounds.assertThat(firstAfterRestore - restoredAtMillis).as("from the restore to the first completed "
                    + "checkpoint (ms)").isLessThanOrEqualTo(FIRST_CHECKPOINT_AFTER_RESTORE_MS);
            for (ClusterRest.Failure failure : report.failures) {
                bounds.assertThat(failure.causedBy(KILLED) || report.endedWithTheKill(failure))
                        .as("failure %s, caused by the kill of %s", failure, KILLED).isTrue();
            }
            bounds.assertThat(report.failures).as("job failures").isNotEmpty();
            bounds.assertAll();
        }

        @Override
        public void close() {
            System.out.println(report.text(seconds(System.nanoTime() - started), cluster.directory()));
            try {
                if (checkpoints != null) {
                    checkpoints.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cluster.close();
            mock.close();
            kafka.close();
        }
    }

    /** What a run measured, printed whether it passes or not. */
    private static final class Report {
        final Scenario scenario;
        double runSeconds = Double.NaN;
        double recoverySeconds = Double.NaN;
        double firstCommitSeconds = Double.NaN;
        long rateLimitedBeforeRestore = -1;
        long answeredAtKill;
        long plateauAt = -1;
        long stateDroppedWouldAllow = -1;
        long rateLimited;
        long requests;
        long answered;
        long notTriggered;
        List<CheckpointLog.Checkpoint> checkpoints = List.of();
        List<CheckpointLog.Checkpoint> whileWaitingForTheDay;
        List<ClusterRest.Failure> failures = List.of();
        Map<Long, String> slowCheckpoints = Map.of();
        final List<StandaloneCluster.EndedTaskManager> replacedTaskManagers = new ArrayList<>();

        Report(Scenario scenario) {
            this.scenario = scenario;
        }

        /** Whether the failure came from a TaskManager that Flink shut down itself right after the kill. */
        boolean endedWithTheKill(ClusterRest.Failure failure) {
            return replacedTaskManagers.stream().anyMatch(ended -> ended.failedInCleanUp() && failure.causedBy(ended.id()));
        }

        void measure(MockStats stats, List<CheckpointLog.Checkpoint> all, long notTriggered,
                List<ClusterRest.Failure> failures) {
            requests = stats.requests();
            rateLimited = stats.rateLimited();
            answered = stats.status(200);
            checkpoints = all;
            this.notTriggered = notTriggered;
            this.failures = failures;
        }

        String text(double totalSeconds, Path clusterDir) {
            List<String> lines = new ArrayList<>(List.of(
                    "MultiJvmRecoveryIT (" + scenario.name() + "): " + scenario.prompts() + " prompts, parallelism "
                            + PARALLELISM + ", capacity " + CAPACITY + ", checkpoints every "
                            + CHECKPOINT_INTERVAL.toSeconds() + " s, exactly-once; "
                            + KILLED + " killed with SIGKILL at " + answeredAtKill + " prompts answered, tm-3 started",
                    String.format("  run (submit to end)           %.1f s; first output committed after %.1f s; the test"
                            + " %.1f s", runSeconds, firstCommitSeconds, totalSeconds),
                    String.format("  recovery (kill to RUNNING)    %.1f s; job failures %d: %s%s", recoverySeconds,
                            failures.size(), failures, replacedTaskManagers.isEmpty() ? ""
                                    : "; TaskManagers that ended as well: " + replacedTaskManagers),
                    "  checkpoints                   " + CheckpointLog.describe(checkpoints) + "; " + notTriggered
                            + " not triggered (tasks not running); bound " + CHECKPOINT_BOUND_MS + " ms",
                    String.format("  answers                       %,d (prompts %,d)", answered, scenario.prompts()),
                    String.format("  429s                          %,d of %,d requests (%,d after the restore)",
                            rateLimited, requests, rateLimitedBeforeRestore < 0 ? rateLimited
                                    : rateLimited - rateLimitedBeforeRestore)));
            if (plateauAt < 0) {
                lines.add(String.format("  prompts asked again           %,d (answers − prompts)", answered
                        - scenario.prompts()));
            } else {
                lines.add(String.format("  daily limit                   answers stopped at %,d; with the budgets lost "
                        + "at the kill the job could have sent up to %,d", plateauAt, stateDroppedWouldAllow));
            }
            if (whileWaitingForTheDay != null) {
                lines.add("    while the backlog waited    " + CheckpointLog.describe(whileWaitingForTheDay));
            }
            slowCheckpoints.forEach((id, details) -> lines.add("    slow checkpoint #" + id + ": " + details));
            lines.add("  logs                          " + clusterDir.resolve("log"));
            return String.join("\n", lines);
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static boolean fullyRunning(ClusterRest rest, String job) {
        try {
            return rest.jobFullyRunning(job);
        } catch (Exception e) {
            return false;
        }
    }

    /** How many of the job's tasks have finished (their share of a bounded run done). */
    private static int finishedTasks(ClusterRest rest, String job) {
        try {
            int finished = 0;
            for (JsonNode vertex : rest.get("/jobs/" + job).path("vertices")) {
                finished += vertex.path("tasks").path("FINISHED").asInt();
            }
            return finished;
        } catch (Exception e) {
            return 0;
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
