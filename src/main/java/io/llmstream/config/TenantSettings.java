package io.llmstream.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A team sharing the job's provider account ({@code tenants.<name>}): its weight in each model's fair shares
 * and its caps inside the models' limits. (Daily spend caps are not there yet: {@code spend-per-day} is refused
 * as an unknown key.)
 *
 * @param name the tenant's name, as records give it in {@code tenant}
 * @param weight its share of a model's budget while other tenants wait too, against their weights
 * @param caps per model: the most requests and tokens per minute it may use, inside the model's own limits
 */
public record TenantSettings(String name, double weight, Map<String, Cap> caps) implements Serializable {

    /** The tenant of records that name none, and of tenants not listed. */
    public static final String DEFAULT = "default";

    public static final Option<Double> WEIGHT = Option.key("weight").doubleType().defaultValue(1.0)
            .mustBe(v -> v > 0 && v <= 1000, "> 0 and <= 1000")
            .withDescription("The tenant's share of each model's budget while other tenants wait too, against their "
                    + "weights (weighted fair queuing on the tokens charged); a tenant alone uses the whole limit.");

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
    public static final TenantSettings DEFAULT_TENANT = new TenantSettings(DEFAULT, 1.0, Map.of());

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
        return new TenantSettings(name, section.get(WEIGHT), Collections.unmodifiableMap(caps));
    }
}
