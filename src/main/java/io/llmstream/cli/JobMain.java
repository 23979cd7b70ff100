package io.llmstream.cli;

import io.llmstream.config.ConfigException;
import io.llmstream.kafka.KafkaStartupException;

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
            JobRunner.runOnCluster(parsed.all("config"), System.out);
        } catch (ConfigException | Args.UsageException | KafkaStartupException e) {
            System.err.println("llmstream: " + e.getMessage());
            throw e;
        }
    }
}
