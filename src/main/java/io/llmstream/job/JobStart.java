package io.llmstream.job;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaStartupCheck;
import io.llmstream.route.ResultRouter;
import org.apache.flink.api.common.JobExecutionResult;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What every start of the job does, under {@code flink run} ({@link JobMain}) and the command line's
 * {@code run} alike: read the configuration files, print their warnings and check Kafka, so a broker that
 * cannot take the job stops the start with one line instead of failing the job over and over; and the
 * lines that open and close a run.
 */
public final class JobStart {
    /** The start of every line llmstream prints. */
    public static final String PREFIX = "llmstream: ";

    private JobStart() {}

    /** Loads the files, prints the configuration's warnings and checks Kafka; returns what to run. */
    public static LlmStreamConfig prepare(List<String> configFiles, PrintStream out) {
        if (configFiles.isEmpty()) {
            throw new Args.UsageException("give at least one --config FILE (e.g. --config conf/llmstream.yaml)");
        }
        LlmStreamConfig config = new ConfigLoader()
                .load(configFiles.stream().map(Path::of).collect(Collectors.toList()));
        config.warnings().forEach(warning -> out.println(PREFIX + "warning: " + warning));
        return KafkaStartupCheck.run(config, note -> out.println(PREFIX + note));
    }

    public static void printStart(LlmStreamConfig config, PrintStream out) {
        out.printf("llmstream: reading %s from %s, models %s%s%n", config.kafka().topics().input(),
                config.kafka().bootstrapServers(), config.models().keySet(),
                config.job().bounded() ? " (bounded: stops at the topic's current end)" : "");
    }

    public static void printSummary(JobExecutionResult result, PrintStream out) {
        out.printf("llmstream: finished in %.1f s: %d completions, %d dead letters (%d invalid input)%n",
                result.getNetRuntime() / 1000.0,
                counter(result, ResultRouter.COMPLETIONS_COUNTER),
                counter(result, ResultRouter.DEAD_LETTERS_COUNTER) + counter(result, ResultRouter.INVALID_COUNTER),
                counter(result, ResultRouter.INVALID_COUNTER));
    }

    private static long counter(JobExecutionResult result, String name) {
        Object value = result.getAccumulatorResult(name);
        return value instanceof Number ? ((Number) value).longValue() : 0;
    }
}
