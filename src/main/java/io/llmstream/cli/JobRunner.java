package io.llmstream.cli;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.parse.ParseFunction;
import io.llmstream.route.ResultRouter;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs the job with Kafka from configuration files: on the cluster that {@code flink run} submits to,
 * or on an embedded local Flink when started with {@code java -jar}.
 */
public final class JobRunner {
    private JobRunner() {}

    /** Loads the files, builds the job and runs it until it ends (bounded) or is cancelled. */
    public static JobExecutionResult run(List<String> configFiles, PrintStream out) throws Exception {
        if (configFiles.isEmpty()) {
            throw new Args.UsageException("give at least one --config FILE (e.g. --config conf/llmstream.yaml)");
        }
        LlmStreamConfig config = new ConfigLoader()
                .load(configFiles.stream().map(Path::of).collect(Collectors.toList()));
        StreamExecutionEnvironment env = KafkaJob.environment(config, new Configuration());
        out.printf("llmstream: reading %s from %s, models %s%s%n", config.kafka().topics().input(),
                config.kafka().bootstrapServers(), config.models().keySet(),
                config.job().bounded() ? " (bounded: stops at the topic's current end)" : "");
        JobExecutionResult result = env.execute(config.job().name());
        if (result.isJobExecutionResult()) {
            out.printf("llmstream: finished in %.1f s: %d completions, %d dead letters (%d invalid input)%n",
                    result.getNetRuntime() / 1000.0,
                    counter(result, ResultRouter.COMPLETIONS_COUNTER),
                    counter(result, ResultRouter.DEAD_LETTERS_COUNTER) + counter(result, ParseFunction.INVALID_COUNTER),
                    counter(result, ParseFunction.INVALID_COUNTER));
        }
        return result;
    }

    static long counter(JobExecutionResult result, String name) {
        Object value = result.getAccumulatorResult(name);
        return value instanceof Number ? ((Number) value).longValue() : 0;
    }
}
