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
        RestartSettings restart,
        int maxParallelism,
        boolean unalignedCheckpoints,
        Duration alignedCheckpointTimeout) implements Serializable {

    public static final Option<String> NAME = Option.key("name").stringType().defaultValue("llmstream")
            .withDescription("The Flink job name.");
    public static final Option<Integer> PARALLELISM = Option.key("parallelism").intType().defaultValue(1)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Parallelism of every operator. A model's limits are split into exact shares over "
                    + "its shards (models.<m>.shards, by default this many).");
    public static final Option<Boolean> BOUNDED = Option.key("bounded").booleanType().defaultValue(false)
            .withDescription("Stop once the input topic's end at start time is processed. Its tail, once a source "
                    + "instance has read to its end, completes no checkpoint while prompts wait for budget.");
    public static final Option<Duration> CHECKPOINT_INTERVAL = Option.key("checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(30)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("Checkpoint interval; offsets, budgets and in-flight prompts are saved.");
    public static final Option<Duration> CHECKPOINT_TIMEOUT = Option.key("checkpoint-timeout").durationType()
            .defaultValue(Duration.ofMinutes(10)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("A checkpoint that takes longer is abandoned (Flink's default, 10 minutes).");
    public static final Option<Integer> MAX_INPUT_BYTES = Option.key("max-input-bytes").intType()
            .defaultValue(1_048_576).mustBe(v -> v > 0, "> 0")
            .withDescription("Larger input records become dead letters of kind invalid_input.");

    public static final Option<Integer> MAX_PARALLELISM = Option.key("max-parallelism").intType().defaultValue(128)
            .mustBe(v -> v > 0 && v <= 32768, "between 1 and 32768")
            .withDescription("Flink's maximum parallelism (the number of key groups): the most parallel instances "
                    + "a savepoint can be rescaled to. Keep it across savepoints.");
    public static final Option<Boolean> UNALIGNED_CHECKPOINTS = Option.key("unaligned-checkpoints").booleanType()
            .defaultValue(true)
            .withDescription("Let checkpoint barriers overtake the prompts that wait in front of a rate-limited "
                    + "call stage, so checkpoints stay fast while a limit binds (the waiting prompts are stored with "
                    + "the checkpoint instead).");
    public static final Option<Duration> ALIGNED_CHECKPOINT_TIMEOUT = Option.key("aligned-checkpoint-timeout")
            .durationType().defaultValue(Duration.ofSeconds(1)).mustBe(v -> !v.isNegative(), ">= 0")
            .withDescription("With unaligned-checkpoints, a checkpoint starts aligned and turns unaligned when its "
                    + "barriers wait longer than this; 0 is always unaligned.");

    static JobSettings read(ConfigSection section) {
        JobSettings settings = new JobSettings(section.get(NAME), section.get(PARALLELISM), section.get(BOUNDED),
                section.get(CHECKPOINT_INTERVAL), section.get(CHECKPOINT_TIMEOUT), section.get(MAX_INPUT_BYTES),
                RestartSettings.read(section.section("restart")), section.get(MAX_PARALLELISM),
                section.get(UNALIGNED_CHECKPOINTS), section.get(ALIGNED_CHECKPOINT_TIMEOUT));
        if (settings.parallelism > settings.maxParallelism) {
            throw new ConfigException(section.pathOf(PARALLELISM.key()) + " must be <= "
                    + section.pathOf(MAX_PARALLELISM.key()) + " (" + settings.maxParallelism + "), was "
                    + settings.parallelism);
        }
        return settings;
    }
}
