package io.llmstream.cli;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.kafka.KafkaStartupCheck;
import io.llmstream.local.Ports;
import io.llmstream.parse.ParseFunction;
import io.llmstream.route.ResultRouter;
import io.llmstream.watch.JobWatcher;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs the job with Kafka from configuration files: on an embedded local Flink when started with
 * {@code java -jar} ({@link #runLocal}, watched, one line per failure), or on the cluster that
 * {@code flink run} submits to ({@link #runOnCluster}). Either way Kafka is checked first, so a broker that
 * cannot take the job stops the start with one line instead of failing the job over and over.
 */
public final class JobRunner {
    private static final String PREFIX = "llmstream: ";

    private JobRunner() {}

    /**
     * {@code run}: checks Kafka, runs the job on an embedded Flink until it ends (bounded) or is cancelled,
     * and prints a line for every failure.
     *
     * @throws io.llmstream.watch.JobFailedException if the job failed or a bounded run was given up
     */
    static JobExecutionResult runLocal(List<String> configFiles, boolean verbose, PrintStream out) throws Exception {
        LlmStreamConfig config = prepare(configFiles, out);
        Configuration flinkSettings = new Configuration();
        URI rest = JobWatcher.restOnLoopback(flinkSettings, Ports.freePort());
        StreamExecutionEnvironment env = KafkaJob.environment(config, flinkSettings);
        printStart(config, out);
        JobClient job = env.executeAsync(config.job().name());
        JobExecutionResult result = JobWatcher.start(job, rest, config, line -> out.println(PREFIX + line),
                verbose ? out::println : trace -> { }).await();
        printSummary(result, out);
        return result;
    }

    /** {@code flink run llmstream-job.jar}: checks Kafka, then submits to the cluster and waits as it says. */
    public static JobExecutionResult runOnCluster(List<String> configFiles, PrintStream out) throws Exception {
        LlmStreamConfig config = prepare(configFiles, out);
        StreamExecutionEnvironment env = KafkaJob.environment(config, new Configuration());
        printStart(config, out);
        JobExecutionResult result = env.execute(config.job().name());
        if (result.isJobExecutionResult()) {
            printSummary(result, out);
        }
        return result;
    }

    /** Loads the files, prints the configuration's warnings and checks Kafka; returns what to run. */
    private static LlmStreamConfig prepare(List<String> configFiles, PrintStream out) {
        if (configFiles.isEmpty()) {
            throw new Args.UsageException("give at least one --config FILE (e.g. --config conf/llmstream.yaml)");
        }
        LlmStreamConfig config = new ConfigLoader()
                .load(configFiles.stream().map(Path::of).collect(Collectors.toList()));
        config.warnings().forEach(warning -> out.println(PREFIX + "warning: " + warning));
        return KafkaStartupCheck.run(config, note -> out.println(PREFIX + note));
    }

    private static void printStart(LlmStreamConfig config, PrintStream out) {
        out.printf("llmstream: reading %s from %s, models %s%s%n", config.kafka().topics().input(),
                config.kafka().bootstrapServers(), config.models().keySet(),
                config.job().bounded() ? " (bounded: stops at the topic's current end)" : "");
    }

    private static void printSummary(JobExecutionResult result, PrintStream out) {
        out.printf("llmstream: finished in %.1f s: %d completions, %d dead letters (%d invalid input)%n",
                result.getNetRuntime() / 1000.0,
                counter(result, ResultRouter.COMPLETIONS_COUNTER),
                counter(result, ResultRouter.DEAD_LETTERS_COUNTER) + counter(result, ParseFunction.INVALID_COUNTER),
                counter(result, ParseFunction.INVALID_COUNTER));
    }

    static long counter(JobExecutionResult result, String name) {
        Object value = result.getAccumulatorResult(name);
        return value instanceof Number ? ((Number) value).longValue() : 0;
    }
}
