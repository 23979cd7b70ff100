package io.llmstream.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A section of the merged YAML tree with its full dotted path. Reading options through it gives every
 * error the full key ({@code models.gpt-4o.rpm}) and remembers which keys were read, so that a typo
 * such as {@code kafka.bootstrap-server} is reported instead of silently ignored.
 */
public final class ConfigSection {
    private final JsonNode node;
    private final String path;
    private final Set<String> readKeys = new LinkedHashSet<>();
    private final List<ConfigSection> children = new ArrayList<>();

    ConfigSection(JsonNode node, String path) {
        this.node = node == null || node.isNull() ? MissingNode.getInstance() : node;
        this.path = path;
        if (!this.node.isMissingNode() && !this.node.isObject()) {
            throw new ConfigException(
                    describe() + " must be a map of keys, was '" + this.node + "'");
        }
    }

    /** The full dotted path of a key in this section. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private String describe() {
        return path.isEmpty() ? "the configuration" : path;
    }

    /** True if the key is present with a non-null value. */
    public boolean has(String key) {
        JsonNode value = node.get(key);
        return value != null && !value.isNull();
    }

    /** Reads an option: its value, its default, null if optional and absent, or an error. */
    public <T> T get(Option<T> option) {
        readKeys.add(option.key());
        JsonNode value = node.get(option.key());
        String fullKey = pathOf(option.key());
        if (value == null || value.isNull()) {
            if (option.isRequired()) {
                throw new ConfigException(fullKey + " is required: " + option.description());
            }
            return option.defaultValue();
        }
        T converted;
        try {
            converted = option.type().convert(value);
        } catch (RuntimeException e) {
            throw new ConfigException(
                    fullKey + " must be " + option.type().expected() + ", was '" + shown(value) + "'");
        }
        String violation = option.violation(converted);
        if (violation != null) {
            throw new ConfigException(fullKey + " must be " + violation + ", was " + shown(value));
        }
        return converted;
    }

    /** A nested section; empty if absent. */
    public ConfigSection section(String key) {
        readKeys.add(key);
        ConfigSection child = new ConfigSection(node.get(key), pathOf(key));
        children.add(child);
        return child;
    }

    /** The sections under a map of named entries, such as {@code models.<name>}, in file order. */
    public Map<String, ConfigSection> entries(String key) {
        ConfigSection holder = section(key);
        Map<String, ConfigSection> entries = new LinkedHashMap<>();
        Iterator<String> names = holder.node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            entries.put(name, holder.section(name));
        }
        return entries;
    }

    /** One element of a list: a plain string, or a map of keys read as a section. */
    public record Item(String text, ConfigSection section, String path) {}

    /** The elements of a list (a single value counts as a list of one); empty if absent. */
    public List<Item> items(String key) {
        readKeys.add(key);
        JsonNode value = node.get(key);
        List<Item> items = new ArrayList<>();
        if (value == null || value.isNull()) {
            return items;
        }
        List<JsonNode> elements = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(elements::add);
        } else {
            elements.add(value);
        }
        for (int i = 0; i < elements.size(); i++) {
            JsonNode element = elements.get(i);
            String elementPath = pathOf(key) + "[" + i + "]";
            if (element.isObject()) {
                ConfigSection child = new ConfigSection(element, elementPath);
                children.add(child);
                items.add(new Item(null, child, elementPath));
            } else if (element.isValueNode() && !element.isNull()) {
                items.add(new Item(element.asText(), null, elementPath));
            } else {
                throw new ConfigException(elementPath + " must be a string or a map, was '" + element + "'");
            }
        }
        return items;
    }

    /**
     * Fails on the first key that no option read, here or in a nested section, so misspelt keys stop
     * the start instead of being ignored.
     */
    public void rejectUnknownKeys() {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!readKeys.contains(name)) {
                throw new ConfigException("unknown key '" + pathOf(name) + "'" + suggestion(name));
            }
        }
        for (ConfigSection child : children) {
            child.rejectUnknownKeys();
        }
    }

    private String suggestion(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : readKeys) {
            int distance = editDistance(unknown, known);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = known;
            }
        }
        if (best != null && bestDistance <= Math.max(2, unknown.length() / 4)) {
            return "; did you mean '" + pathOf(best) + "'?";
        }
        return readKeys.isEmpty() ? "" : "; known keys here: " + String.join(", ", readKeys);
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static String shown(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }
}
