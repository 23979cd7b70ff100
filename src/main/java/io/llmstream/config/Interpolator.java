package io.llmstream.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * Replaces {@code ${VAR}}, {@code ${VAR:-default}} and {@code ${file:/path}} in every string of the
 * merged tree, so secrets come from the environment or from mounted files instead of the config
 * file. {@code $$} stands for a literal {@code $}. Substitution happens on parsed values, not on the
 * YAML text, so a value can hold any character without breaking the file.
 */
final class Interpolator {
    private static final String FILE_PREFIX = "file:";

    private final Function<String, String> environment;

    Interpolator(Function<String, String> environment) {
        this.environment = environment;
    }

    /** Interpolates the tree in place. */
    void interpolate(JsonNode node, String path) {
        if (node instanceof ObjectNode) {
            ObjectNode object = (ObjectNode) node;
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String childPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (field.getValue().isTextual()) {
                    field.setValue(TextNode.valueOf(resolve(field.getValue().asText(), childPath)));
                } else {
                    interpolate(field.getValue(), childPath);
                }
            }
        } else if (node instanceof ArrayNode) {
            ArrayNode array = (ArrayNode) node;
            for (int i = 0; i < array.size(); i++) {
                String childPath = path + "[" + i + "]";
                if (array.get(i).isTextual()) {
                    array.set(i, TextNode.valueOf(resolve(array.get(i).asText(), childPath)));
                } else {
                    interpolate(array.get(i), childPath);
                }
            }
        }
    }

    /** Resolves the placeholders of one string found at {@code key}. */
    String resolve(String text, String key) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
            } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    throw new ConfigException(key + " has an unclosed '${' in '" + text + "'");
                }
                out.append(lookup(text.substring(i + 2, end), key));
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private String lookup(String expression, String key) {
        if (expression.startsWith(FILE_PREFIX)) {
            return readFile(expression.substring(FILE_PREFIX.length()).trim(), key);
        }
        int separator = expression.indexOf(":-");
        String name = (separator < 0 ? expression : expression.substring(0, separator)).trim();
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new ConfigException(key + " refers to '${" + expression
                    + "}', which is not an environment variable name");
        }
        String value = environment.apply(name);
        if (value != null && !value.isEmpty()) {
            return value;
        }
        if (separator >= 0) {
            return expression.substring(separator + 2);
        }
        throw new ConfigException(key + " needs the environment variable " + name
                + ", which is not set (set it, or write ${" + name + ":-default} for a default)");
    }

    private static String readFile(String file, String key) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ConfigException(key + " refers to the file '" + file + "', which cannot be read: "
                    + e.getClass().getSimpleName());
        }
    }
}
