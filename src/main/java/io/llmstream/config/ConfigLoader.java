package io.llmstream.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads {@code --config} files in order, later files overriding earlier ones key by key (lists are
 * replaced whole; a deprecated key and its new form count as one key), resolves {@code ${...}}
 * placeholders, and binds the result to a validated {@link LlmStreamConfig}.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Deprecated keys and the keys that replace them, by full path: two forms of one setting. */
    private static final Map<String, String> REPLACED_BY = Map.of(
            "call." + CallSettings.ORDERED.key(), "call." + CallSettings.ORDER.key());

    private final Function<String, String> environment;

    /** A loader reading placeholders from the process environment. */
    public ConfigLoader() {
        this(System::getenv);
    }

    /** A loader reading placeholders from the given environment (tests). */
    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    /** Loads and validates files, the last one winning. */
    public LlmStreamConfig load(List<Path> files) {
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        for (Path file : files) {
            deepMerge(merged, readFile(file));
        }
        return bind(merged);
    }

    /** Loads and validates YAML text (tests and embedded defaults). */
    public LlmStreamConfig loadYaml(String... documents) {
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        for (String document : documents) {
            deepMerge(merged, parse(document, "the configuration"));
        }
        return bind(merged);
    }

    private LlmStreamConfig bind(ObjectNode merged) {
        new Interpolator(environment).interpolate(merged, "");
        return LlmStreamConfig.read(new ConfigSection(merged, ""));
    }

    private static ObjectNode readFile(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), "config file '" + file + "'");
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new ConfigException("config file '" + file + "' cannot be read: " + e.getMessage());
        }
    }

    private static ObjectNode parse(String yaml, String source) {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new ConfigException(source + " is not valid YAML" + where + ": " + e.getOriginalMessage());
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException(source + " must be a map of keys at the top, was '" + tree + "'");
        }
        return (ObjectNode) tree;
    }

    /**
     * Merges {@code override} into {@code base}: maps merge key by key, anything else replaces; a key
     * replaces the other form of its setting too (a deprecated key or its new form).
     */
    static void deepMerge(ObjectNode base, ObjectNode override) {
        deepMerge(base, override, "");
    }

    private static void deepMerge(ObjectNode base, ObjectNode override, String path) {
        Iterator<Map.Entry<String, JsonNode>> fields = override.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = field.getKey();
            JsonNode existing = base.get(key);
            if (existing instanceof ObjectNode && field.getValue() instanceof ObjectNode) {
                deepMerge((ObjectNode) existing, (ObjectNode) field.getValue(), path + key + ".");
            } else {
                String otherForm = otherFormOf(path + key);
                if (otherForm != null && !override.has(otherForm)) {
                    base.remove(otherForm);
                }
                base.set(key, field.getValue().deepCopy());
            }
        }
    }

    /** The key (within the same map) of the other form of the setting at {@code path}, or null. */
    private static String otherFormOf(String path) {
        for (Map.Entry<String, String> forms : REPLACED_BY.entrySet()) {
            String other = forms.getKey().equals(path) ? forms.getValue()
                    : forms.getValue().equals(path) ? forms.getKey() : null;
            if (other != null) {
                return other.substring(other.lastIndexOf('.') + 1);
            }
        }
        return null;
    }
}
