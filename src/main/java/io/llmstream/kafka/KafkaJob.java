package io.llmstream.kafka;

import io.llmstream.LlmStreamJob;
import io.llmstream.config.LlmStreamConfig;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The job wired to its Kafka source and sinks, on the environment of wherever it runs. */
public final class KafkaJob {
    private KafkaJob() {}

    /**
     * An environment with the job on Kafka: the cluster's under {@code flink run}, else an embedded one
     * with a slot per parallel instance and buffer debloating (small network buffers in front of the
     * rate-limited call stage; on a cluster that is the TaskManagers' setting).
     *
     * @param flinkSettings more Flink options, such as a restart strategy
     */
    public static StreamExecutionEnvironment environment(LlmStreamConfig config, Configuration flinkSettings) {
        Configuration settings = new Configuration(flinkSettings);
        settings.set(TaskManagerOptions.NUM_TASK_SLOTS, config.job().parallelism());
        settings.set(TaskManagerOptions.BUFFER_DEBLOAT_ENABLED, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(settings);
        LlmStreamJob job = new LlmStreamJob(config);
        job.configure(env);
        job.build(env, KafkaConnectors.source(config), new LlmStreamJob.Sinks(KafkaConnectors.completionSink(config),
                KafkaConnectors.deadLetterSink(config), KafkaConnectors.metricsSink(config),
                KafkaConnectors.usageSink(config)), KafkaConnectors.backlogReaders(config));
        return env;
    }
}
