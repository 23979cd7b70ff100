package io.llmstream.cli;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.job.Args;
import io.llmstream.job.JobStart;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.local.Ports;
import io.llmstream.watch.JobWatcher;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * {@code run}: the job on an embedded local Flink, against the Kafka and endpoints in the configuration.
 * It starts as {@code flink run} does ({@link JobStart}), then watches the job: one line per failure.
 */
final class RunCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(Verbosity.FLAG), Set.of("config", Verbosity.FLAG));
        runLocal(parsed.all("config"), Verbosity.apply(parsed), out);
        return 0;
    }

    /**
     * Checks Kafka, runs the job until it ends (bounded) or is cancelled, and prints a line for every failure.
     *
     * @throws io.llmstream.watch.JobFailedException if the job failed or a bounded run was given up
     */
    private static void runLocal(List<String> configFiles, boolean verbose, PrintStream out) throws Exception {
        LlmStreamConfig config = JobStart.prepare(configFiles, out);
        Configuration flinkSettings = new Configuration();
        URI rest = JobWatcher.restOnLoopback(flinkSettings, Ports.freePort());
        StreamExecutionEnvironment env = KafkaJob.environment(config, flinkSettings);
        JobStart.printStart(config, out);
        JobClient job = env.executeAsync(config.job().name());
        JobExecutionResult result = JobWatcher.start(job, rest, config, line -> out.println(JobStart.PREFIX + line),
                verbose ? out::println : trace -> { }).await();
        JobStart.printSummary(result, out);
    }

    @Override
    public String summary() {
        return "run the job on a local embedded Flink (--config FILE, repeatable)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar run --config FILE [--config FILE ...] [--verbose]\n"
                + "  --config FILE   YAML configuration; later files override earlier ones key by key\n"
                + Verbosity.USAGE + "\n"
                + "  Checks Kafka first (kafka.startup-timeout), then prints one line per failure or restart.\n"
                + "  Exit codes: 0 finished (bounded) or cancelled, 1 Kafka cannot take the job, the job failed or a\n"
                + "  bounded run gave up (job.restart.give-up-after), 2 wrong command line or configuration.";
    }
}
