package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * How an embedding model's inputs are gathered into requests ({@code models.<m>.batch}): one request
 * takes at most {@code maxInputs} inputs whose estimated tokens sum to at most {@code maxTokens}, and
 * an input waits at most {@code maxWait} for others to join it.
 *
 * @param maxInputs inputs per request
 * @param maxTokens estimated input tokens per request
 * @param maxWait the longest an input waits for a batch to fill before it goes with those it has
 */
public record BatchSettings(int maxInputs, long maxTokens, Duration maxWait) implements Serializable {

    /** OpenAI's cap on the inputs of one embeddings request. */
    public static final int MAX_INPUTS_CAP = 2048;

    public static final Option<Integer> MAX_INPUTS = Option.key("max-inputs").intType().defaultValue(256)
            .mustBe(v -> v >= 1 && v <= MAX_INPUTS_CAP, "between 1 and " + MAX_INPUTS_CAP)
            .withDescription("Inputs per embeddings request (OpenAI takes at most 2048). The call stage keeps "
                    + "room for two batches: its capacity is at least twice this.");
    public static final Option<Long> MAX_TOKENS = Option.key("max-tokens").longType().defaultValue(300_000L)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Estimated input tokens per embeddings request (OpenAI refuses more than 300,000); "
                    + "never more than the model's tpm.");
    public static final Option<Duration> MAX_WAIT = Option.key("max-wait").durationType()
            .defaultValue(Duration.ofMillis(50))
            .mustBe(v -> !v.isNegative() && v.toMillis() <= 60_000, "between 0 and 60s")
            .withDescription("How long an input waits for others to fill its batch before it goes with those it "
                    + "has; 0 sends whatever has arrived at once.");

    /** The defaults, for models that have no batch section. */
    public static final BatchSettings DEFAULT = new BatchSettings(MAX_INPUTS.defaultValue(),
            MAX_TOKENS.defaultValue(), MAX_WAIT.defaultValue());

    static BatchSettings read(ConfigSection section) {
        return new BatchSettings(section.get(MAX_INPUTS), section.get(MAX_TOKENS), section.get(MAX_WAIT));
    }
}
