package io.llmstream.watch;

import io.llmstream.config.LlmStreamConfig;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Follows a submitted job through Flink's REST API about once a second and says, in one line each, every
 * failure with its root cause, a hint where a setting explains it and what Flink does next, e.g.
 * {@code [12.3s] failure 2: 'completions sink' failed: InvalidTxnTimeoutException: ... — kafka.transaction-timeout
 * (15m) exceeds the broker's transaction.max.timeout.ms: ...; restarting in ~2s}. A bounded run that fails
 * {@code job.restart.give-up-after} times in a row without a completed checkpoint is cancelled: it would
 * restart forever and never reach its end. The full stack trace goes where the caller wants it (with
 * {@code --verbose}, after the line), and to the log at DEBUG.
 */
public final class JobWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(JobWatcher.class);
    static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    private final JobClient job;
    private final CompletableFuture<JobExecutionResult> result;
    private final FlinkRest rest;
    private final LlmStreamConfig config;
    private final Consumer<String> lines;
    private final Consumer<String> stackTraces;
    private final FailureHints hints;
    private final RestartOutlook restarts;
    private final GiveUpRule giveUp;
    private final long startedAtMillis = System.currentTimeMillis();
    private final Thread poller;

    private long lastReported = Long.MIN_VALUE;
    private int failures;
    private volatile String gaveUp;
    private volatile boolean stopped;

    private JobWatcher(JobClient job, URI restAddress, LlmStreamConfig config, Consumer<String> lines,
            Consumer<String> stackTraces) {
        this.job = job;
        this.result = job.getJobExecutionResult();
        this.rest = new FlinkRest(restAddress, job.getJobID());
        this.config = config;
        this.lines = lines;
        this.stackTraces = stackTraces;
        this.hints = new FailureHints(config.kafka());
        this.restarts = new RestartOutlook(config.job().restart());
        this.giveUp = new GiveUpRule(config.job().restart().giveUpAfter());
        this.poller = new Thread(this::pollUntilDone, "llmstream-job-watcher");
        poller.setDaemon(true);
    }

    /**
     * Makes a local environment's embedded cluster serve Flink's REST API on loopback at a known port, which
     * the watcher then reads.
     *
     * @return the REST address to give {@link #start}
     */
    public static URI restOnLoopback(Configuration flinkSettings, int port) {
        return FlinkRest.onLoopback(flinkSettings, port);
    }

    /**
     * Starts watching a submitted job on a thread of its own.
     *
     * @param lines receives one line per failure
     * @param stackTraces receives each failure's stack trace after its line (with --verbose), or ignores it
     */
    public static JobWatcher start(JobClient job, URI restAddress, LlmStreamConfig config, Consumer<String> lines,
            Consumer<String> stackTraces) {
        JobWatcher watcher = new JobWatcher(job, restAddress, config, lines, stackTraces);
        watcher.poller.start();
        return watcher;
    }

    /**
     * Waits for the job's end.
     *
     * @return the result of a job that finished
     * @throws JobFailedException if the job failed, or was given up; the message names the root cause
     */
    public JobExecutionResult await() throws JobFailedException, InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            Throwable failure = e.getCause() == null ? e : e.getCause();
            if (gaveUp != null) {
                throw new JobFailedException(gaveUp, failure);
            }
            throw new JobFailedException("the job failed: " + describe(FailureCause.of(failure)), failure);
        } finally {
            stopped = true;
            poller.interrupt();
        }
    }

    /** Whether a bounded run was given up (the job is then being cancelled). */
    public boolean gaveUp() {
        return gaveUp != null;
    }

    private void pollUntilDone() {
        while (!stopped && !result.isDone()) {
            try {
                poll();
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // Not up yet, or shut down with the job: the job's result says how it ended.
                LOG.debug("Flink's REST API did not answer: {}", e.toString());
                sleepQuietly();
            }
        }
    }

    /** Reports new failures; none after giving up, as those only happened before the cancellation took hold. */
    private void poll() throws IOException, InterruptedException {
        rest.lastCheckpointCompletedAt().ifPresent(giveUp::checkpointCompleted);
        for (FlinkRest.Failure failure : rest.failures()) {
            if (failure.timestamp() > lastReported && gaveUp == null) {
                lastReported = failure.timestamp();
                report(failure);
            }
        }
    }

    private void report(FlinkRest.Failure failure) {
        failures++;
        FailureCause cause = FailureCause.fromStackTrace(failure.stackTrace());
        giveUp.failed(failure.timestamp());
        String next = restarts.afterFailure(failure.timestamp());
        if (config.job().bounded() && giveUp.givesUp() && gaveUp == null) {
            next = "giving up: " + giveUp.failuresInARow() + " failures in a row without a completed checkpoint "
                    + "(job.restart.give-up-after: " + giveUp.giveUpAfter() + ")";
            gaveUp = "gave up after " + giveUp.failuresInARow() + " failures in a row without a completed checkpoint "
                    + "(job.restart.give-up-after: " + giveUp.giveUpAfter() + "); the last: " + describe(cause);
            job.cancel();
        }
        double seconds = Math.max(0, failure.timestamp() - startedAtMillis) / 1000.0;
        lines.accept(String.format(Locale.ROOT, "[%.1fs] failure %d: '%s' failed: %s; %s", seconds, failures,
                FailedTask.name(failure.taskName(), failure.stackTrace()), describe(cause), next));
        stackTraces.accept(failure.stackTrace().stripTrailing());
        LOG.debug("Failure {} of job {}:\n{}", failures, job.getJobID(), failure.stackTrace());
    }

    /** The root cause and, if a setting explains it, the hint. */
    private String describe(FailureCause cause) {
        return cause.root() + hints.hintFor(cause).map(hint -> " — " + hint).orElse("");
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            stopped = true;
        }
    }
}
