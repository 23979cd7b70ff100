package io.llmstream.config;

import java.io.Serializable;

/**
 * What a model's tokens cost, in US dollars per million tokens, for the cost of each metrics window.
 *
 * @param inputPerMillion the price of a million prompt tokens
 * @param outputPerMillion the price of a million completion tokens
 * @param batchDiscount the share of the price taken off for the tokens of the Batch API's lane
 */
public record PriceSettings(double inputPerMillion, double outputPerMillion, double batchDiscount)
        implements Serializable {

    public static final Option<Double> INPUT = Option.key("input").doubleType().noDefaultValue()
            .mustBe(v -> v >= 0, ">= 0")
            .withDescription("US dollars per million prompt tokens.");
    public static final Option<Double> OUTPUT = Option.key("output").doubleType().noDefaultValue()
            .mustBe(v -> v >= 0, ">= 0")
            .withDescription("US dollars per million completion tokens.");
    public static final Option<Double> BATCH_DISCOUNT = Option.key("batch-discount").doubleType().defaultValue(0.5)
            .mustBe(v -> v >= 0 && v < 1, "between 0 and 1 (exclusive)")
            .withDescription("The share of the price taken off for the tokens of the batch lane (OpenAI, Azure "
                    + "and DashScope: half).");

    /** The cost of the tokens, in US dollars. */
    public double costOf(long promptTokens, long completionTokens) {
        return (promptTokens * inputPerMillion + completionTokens * outputPerMillion) / 1_000_000d;
    }

    /** The cost of the tokens of the batch lane, in US dollars. */
    public double batchCostOf(long promptTokens, long completionTokens) {
        return costOf(promptTokens, completionTokens) * (1 - batchDiscount);
    }

    /** The price in a model's {@code price} section; null when the section is absent. */
    static PriceSettings read(ConfigSection section) {
        Double input = section.get(INPUT);
        Double output = section.get(OUTPUT);
        if (input == null && output == null) {
            return null;
        }
        if (input == null || output == null) {
            throw new ConfigException(section.pathOf(input == null ? INPUT.key() : OUTPUT.key())
                    + " is required when " + section.pathOf(input == null ? OUTPUT.key() : INPUT.key())
                    + " is set, was not set");
        }
        return new PriceSettings(input, output, section.get(BATCH_DISCOUNT));
    }
}
