package io.llmstream.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A team sharing the job's provider account ({@code tenants.<name>}): its weight in each model's fair shares,
 * caps inside the models' limits, and a daily spend cap.
 *
 * @param name the tenant's name, as records give it in {@code tenant}
 * @param weight its share of a model's budget while other tenants wait too, against their weights
 * @param caps per model: the most requests and tokens per minute it may use, inside the model's own limits
 * @param spendPerDay the most US dollars its tokens may cost per UTC day; 0 when not capped
 * @param whenSpent what its prompts do once the day's spend is reached
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
            .mustBe(v -> v > 0, "> 0")
            .withDescription("The most US dollars the tenant's tokens may cost per UTC day, at the models' price "
                    + "(prompt estimate + max_tokens at admission, corrected by the provider's usage); never "
                    + "exceeded across the cluster and restarts. Absent means not capped.");
    public static final Option<WhenSpent> WHEN_SPENT = Option.key("when-spent").enumType(WhenSpent.class)
            .defaultValue(WhenSpent.DEAD_LETTER)
            .withDescription("dead-letter: once the day's spend is reached, prompts become dead letters of kind "
                    + "spend_limit; wait: they wait for the next UTC day.");

    /** What a tenant's prompts do once its day's spend is reached. */
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

    public boolean hasSpendCap() {
        return spendPerDay > 0;
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
        TenantSettings tenant = new TenantSettings(name, section.get(WEIGHT), Collections.unmodifiableMap(caps),
                spend == null ? 0 : spend, section.get(WHEN_SPENT));
        if (tenant.hasSpendCap()) {
            for (ModelSettings model : models.values()) {
                if (model.price() == null) {
                    throw new ConfigException(section.pathOf(SPEND_PER_DAY.key()) + " caps what tenant " + name
                            + " spends, but models." + model.name() + " has no price: give it one "
                            + "(models." + model.name() + ".price) so its cost can be counted");
                }
            }
        }
        return tenant;
    }
}
