package io.llmstream.config;

import java.io.Serializable;

/**
 * One API key of an endpoint. A provider's limits belong to a key (or its organization), so each key
 * gets its own budget: the model's limits times the key's weight.
 *
 * @param id how logs, metrics and dead letters name the key; never the key itself
 * @param weight the share of the model's limits this key has; 1 for a key like the others
 */
public record ApiKey(Secret secret, String id, double weight) implements Serializable {

    public static final Option<String> KEY = Option.key("key").stringType().required()
            .withDescription("The key, from ${ENV_VAR} or ${file:/path}.");
    public static final Option<String> ID = Option.key("id").stringType().noDefaultValue()
            .mustBe(id -> id.matches("[A-Za-z0-9_.#-]{1,64}"), "1 to 64 letters, digits or _.#-")
            .withDescription("How logs, metrics and dead letters name the key; default <endpoint>#<n>.");
    public static final Option<Double> WEIGHT = Option.key("weight").doubleType().defaultValue(1.0)
            .mustBe(w -> w > 0 && w <= 100, "> 0 and <= 100")
            .withDescription("This key's limits as a multiple of the model's limits, e.g. 0.5 for a smaller tier.");

    /** Reads a list element: a bare key string, or {key, id, weight}. */
    static ApiKey read(ConfigSection.Item item, String defaultId) {
        if (item.section() == null) {
            return new ApiKey(secret(item.text(), item.path()), defaultId, 1.0);
        }
        ConfigSection section = item.section();
        String id = section.get(ID);
        return new ApiKey(secret(section.get(KEY), section.pathOf(KEY.key())), id == null ? defaultId : id,
                section.get(WEIGHT));
    }

    private static Secret secret(String value, String path) {
        if (value.isBlank()) {
            throw new ConfigException(path + " is empty");
        }
        return new Secret(value.strip());
    }

    /** Never shows the key. */
    @Override
    public String toString() {
        return "ApiKey[id=" + id + ", weight=" + weight + "]";
    }
}
