package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/** The Flink job as a whole. */
public record JobSettings(
        String name,
        int parallelism,
        boolean bounded,
        Duration checkpointInterval,
        Duration checkpointTimeout,
        int maxInputBytes,
        RestartSettings restart) implements Serializable {

    public static final Option<String> NAME = Option.key("name").stringType().defaultValue("llmstream")
            .withDescription("The Flink job name.");
    public static final Option<Integer> PARALLELISM = Option.key("parallelism").intType().defaultValue(1)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Parallelism of every operator. Each model is paced in one instance.");
    public static final Option<Boolean> BOUNDED = Option.key("bounded").booleanType().defaultValue(false)
            .withDescription("Stop once the input topic's end at start time is processed.");
    public static final Option<Duration> CHECKPOINT_INTERVAL = Option.key("checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(30)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("Checkpoint interval; offsets, pacing budgets and in-flight prompts are saved.");
    public static final Option<Duration> CHECKPOINT_TIMEOUT = Option.key("checkpoint-timeout").durationType()
            .defaultValue(Duration.ofMinutes(10)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("A checkpoint that takes longer is abandoned (Flink's default, 10 minutes).");
    public static final Option<Integer> MAX_INPUT_BYTES = Option.key("max-input-bytes").intType()
            .defaultValue(1_048_576).mustBe(v -> v > 0, "> 0")
            .withDescription("Larger input records become dead letters of kind invalid_input.");

    static JobSettings read(ConfigSection section) {
        return new JobSettings(section.get(NAME), section.get(PARALLELISM), section.get(BOUNDED),
                section.get(CHECKPOINT_INTERVAL), section.get(CHECKPOINT_TIMEOUT), section.get(MAX_INPUT_BYTES),
                RestartSettings.read(section.section("restart")));
    }
}
