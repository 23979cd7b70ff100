package io.llmstream.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A team sharing the job's provider account ({@code tenants.<name>}): its weight in each model's fair shares,
 * its caps inside the models' limits, and what it may spend per UTC day.
 *
 * @param name the tenant's name, as records give it in {@code tenant}
 * @param weight its share of a model's budget while other tenants wait too, against their weights
 * @param caps per model: the most requests and tokens per minute it may use, inside the model's own limits
 * @param spendPerDay the most it may spend per UTC day, in US dollars, across the job; 0 = no cap
 * @param whenSpent what becomes of its prompts once the day's spend is used up
 */
public record TenantSettings(String name, double weight, Map<String, Cap> caps, double spendPerDay,
                             WhenSpent whenSpent) implements Serializable {

    /** The tenant of records that name none, and of tenants not listed. */
    public static final String DEFAULT = "default";

    public static final Option<Double> WEIGHT = Option.key("weight").doubleType().defaultValue(1.0)
            .mustBe(v -> v > 0 && v <= 1000, "> 0 and <= 1000")
            .withDescription("The tenant's share of each model's budget while other tenants wait too, against their "
                    + "weights (weighted fair queuing on the tokens charged); a tenant alone uses the whole limit.");

    public static final Option<Double> SPEND_PER_DAY = Option.key("spend-per-day").doubleType().noDefaultValue()
            .mustBe(v -> v > 0 && v < 1e9, "> 0 and < 1e9")
            .withDescription("The most the tenant may spend per UTC day, in US dollars, across the whole job and its "
                    + "restarts: tokens charged at admission (prompt estimate + max_tokens) at the model's price, "
                    + "corrected by the provider's usage after the answer. Every model needs a price.");
    public static final Option<WhenSpent> WHEN_SPENT = Option.key("when-spent").enumType(WhenSpent.class)
            .defaultValue(WhenSpent.DEAD_LETTER)
            .withDescription("What becomes of the tenant's prompts once its day's spend is used up: dead-letter "
                    + "(kind spend_limit) or wait (for the next UTC day).");

    /** What becomes of a tenant's prompts once its day's spend is used up. */
    public enum WhenSpent { DEAD_LETTER, WAIT }

    /** A tenant's caps on one model ({@code tenants.<t>.models.<m>}); 0 = not capped. */
    public record Cap(int rpm, long tpm) implements Serializable {
        public static final Option<Integer> RPM = Option.key("rpm").intType().noDefaultValue()
                .mustBe(v -> v > 0, "> 0")
                .withDescription("The most requests per minute the tenant may send to the model, inside its limit.");
        public static final Option<Long> TPM = Option.key("tpm").longType().noDefaultValue()
                .mustBe(v -> v > 0, "> 0")
                .withDescription("The most tokens per minute (prompt estimate + max_tokens) the tenant may use of "
                        + "the model, inside its limit.");
    }

    /** No caps. */
    public static final Cap NO_CAP = new Cap(0, 0);

    /** The tenant everything belongs to when {@code tenants} is absent or does not list a record's tenant. */
    public static final TenantSettings DEFAULT_TENANT = new TenantSettings(DEFAULT, 1.0, Map.of(), 0,
            WhenSpent.DEAD_LETTER);

    /** A tenant without a spend cap. */
    public TenantSettings(String name, double weight, Map<String, Cap> caps) {
        this(name, weight, caps, 0, WhenSpent.DEAD_LETTER);
    }

    /** Whether the tenant's spend per day is capped. */
    public boolean hasSpendCap() {
        return spendPerDay > 0;
    }

    /** These settings under another name (a tenant not listed takes the "default" tenant's). */
    public TenantSettings named(String other) {
        return new TenantSettings(other, weight, caps, spendPerDay, whenSpent);
    }

    /** The tenant {@code tenants.<name>}; its models must be configured. */
    static TenantSettings read(String name, ConfigSection section, Map<String, ModelSettings> models) {
        Map<String, Cap> caps = new LinkedHashMap<>();
        section.entries("models").forEach((model, cap) -> {
            if (!models.containsKey(model)) {
                throw new ConfigException(section.pathOf("models." + model) + " names a model that is not "
                        + "configured; models are " + models.keySet());
            }
            Integer rpm = cap.get(Cap.RPM);
            Long tpm = cap.get(Cap.TPM);
            caps.put(model, new Cap(rpm == null ? 0 : rpm, tpm == null ? 0 : tpm));
        });
        Double spend = section.get(SPEND_PER_DAY);
        WhenSpent whenSpent = section.get(WHEN_SPENT);
        if (spend == null && section.has(WHEN_SPENT.key())) {
            throw new ConfigException(section.pathOf(WHEN_SPENT.key()) + " needs " + section.pathOf(SPEND_PER_DAY.key())
                    + ", which was not set");
        }
        return new TenantSettings(name, section.get(WEIGHT), Collections.unmodifiableMap(caps),
                spend == null ? 0 : spend, whenSpent);
    }
}
