package io.llmstream.job;

import io.llmstream.config.ConfigException;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.kafka.KafkaStartupException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** Entry point of {@code llmstream-job.jar}: {@code flink run llmstream-job.jar --config conf/llmstream.yaml}. */
public final class JobMain {
    private JobMain() {}

    /**
     * Runs the job; a wrong configuration or a Kafka that cannot take the job is printed in one line and
     * thrown, never {@code System.exit}: in application mode this runs inside the JobManager.
     */
    public static void main(String[] args) throws Exception {
        try {
            Args parsed = Args.parse(List.of(args), Set.of(), Set.of("config"));
            run(parsed.all("config"), System.out);
        } catch (ConfigException | Args.UsageException | KafkaStartupException e) {
            System.err.println("llmstream: " + e.getMessage());
            throw e;
        }
    }

    /** Checks Kafka, then submits to the cluster {@code flink run} chose and waits as it says. */
    static JobExecutionResult run(List<String> configFiles, PrintStream out) throws Exception {
        LlmStreamConfig config = JobStart.prepare(configFiles, out);
        StreamExecutionEnvironment env = KafkaJob.environment(config, new Configuration());
        JobStart.printStart(config, out);
        JobExecutionResult result = env.execute(config.job().name());
        if (result.isJobExecutionResult()) {
            JobStart.printSummary(result, out);
        }
        return result;
    }
}
