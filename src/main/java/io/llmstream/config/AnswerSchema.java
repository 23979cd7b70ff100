package io.llmstream.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON schema of a {@code json_schema} response format, compiled to the subset an answer is checked
 * against: {@code type} (string, number, integer, boolean, object, array, null, or a list of them),
 * {@code properties}, {@code required}, {@code additionalProperties} (false, true or a schema),
 * {@code enum} and {@code items}, nested to any depth. Other keywords are not checked. Compiled at start,
 * so a schema the checks cannot read stops the start naming its key.
 */
public final class AnswerSchema implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "object", "array",
            "null");
    /** How much of a wrong value a violation shows. */
    private static final int SHOWN_CHARS = 60;

    private final String source;
    private transient Node root;

    private AnswerSchema(String source, Node root) {
        this.source = source;
        this.root = root;
    }

    /**
     * Compiles a schema; {@code key} is its full configuration key, named in errors.
     *
     * @throws ConfigException when a keyword of the subset has a value it cannot have
     */
    public static AnswerSchema compile(String key, JsonNode schema) {
        return new AnswerSchema(schema.toString(), node(key, schema));
    }

    /** The schema as JSON. */
    public String source() {
        return source;
    }

    /** What is wrong with a value, such as {@code $.stars must be an integer, was "four"}; null if nothing. */
    public String violation(JsonNode value) {
        return violation(compiled(), value, "$");
    }

    private Node compiled() {
        if (root == null) {
            try {
                root = node("schema", JSON.readTree(source));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a compiled schema no longer reads", e);
            }
        }
        return root;
    }

    private record Node(Set<String> types, Map<String, Node> properties, List<String> required,
            boolean additionalAllowed, Node additional, List<JsonNode> enumValues, Node items) {}

    private static Node node(String key, JsonNode schema) {
        if (!schema.isObject()) {
            if (schema.isBoolean()) {
                return schema.asBoolean() ? anything() : new Node(Set.of(), Map.of(), List.of(), true, null, List.of(),
                        null);
            }
            throw new ConfigException(key + " must be a JSON schema (a map), was " + shown(schema));
        }
        Set<String> types = new LinkedHashSet<>();
        JsonNode type = schema.get("type");
        if (type != null) {
            List<JsonNode> names = new ArrayList<>();
            if (type.isArray()) {
                type.forEach(names::add);
            } else {
                names.add(type);
            }
            for (JsonNode name : names) {
                if (!name.isTextual() || !TYPES.contains(name.asText())) {
                    throw new ConfigException(key + ".type must be one of string, number, integer, boolean, object,"
                            + " array, null (or a list of them), was " + shown(type));
                }
                types.add(name.asText());
            }
        }
        Map<String, Node> properties = new LinkedHashMap<>();
        JsonNode props = schema.get("properties");
        if (props != null) {
            if (!props.isObject()) {
                throw new ConfigException(key + ".properties must be a map of schemas, was " + shown(props));
            }
            Iterator<Map.Entry<String, JsonNode>> fields = props.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                properties.put(field.getKey(), node(key + ".properties." + field.getKey(), field.getValue()));
            }
        }
        List<String> required = new ArrayList<>();
        JsonNode req = schema.get("required");
        if (req != null) {
            if (!req.isArray()) {
                throw new ConfigException(key + ".required must be a list of property names, was " + shown(req));
            }
            for (JsonNode name : req) {
                if (!name.isTextual()) {
                    throw new ConfigException(key + ".required must be a list of property names, was " + shown(req));
                }
                required.add(name.asText());
            }
        }
        boolean additionalAllowed = true;
        Node additional = null;
        JsonNode extra = schema.get("additionalProperties");
        if (extra != null) {
            if (extra.isBoolean()) {
                additionalAllowed = extra.asBoolean();
            } else if (extra.isObject()) {
                additional = node(key + ".additionalProperties", extra);
            } else {
                throw new ConfigException(key + ".additionalProperties must be true, false or a schema, was "
                        + shown(extra));
            }
        }
        List<JsonNode> enumValues = new ArrayList<>();
        JsonNode values = schema.get("enum");
        if (values != null) {
            if (!values.isArray() || values.isEmpty()) {
                throw new ConfigException(key + ".enum must be a non-empty list of values, was " + shown(values));
            }
            values.forEach(enumValues::add);
        }
        JsonNode items = schema.get("items");
        Node itemNode = null;
        if (items != null) {
            itemNode = node(key + ".items", items);
        }
        return new Node(java.util.Collections.unmodifiableSet(types), properties, List.copyOf(required), additionalAllowed, additional,
                List.copyOf(enumValues), itemNode);
    }

    private static Node anything() {
        return new Node(Set.of(), Map.of(), List.of(), true, null, List.of(), null);
    }

    private static String violation(Node schema, JsonNode value, String at) {
        if (!schema.types().isEmpty() && schema.types().stream().noneMatch(type -> hasType(value, type))) {
            return at + " must be " + describe(schema.types()) + ", was " + shown(value);
        }
        if (!schema.enumValues().isEmpty() && schema.enumValues().stream().noneMatch(v -> sameValue(v, value))) {
            return at + " must be one of " + schema.enumValues() + ", was " + shown(value);
        }
        if (value.isObject()) {
            for (String name : schema.required()) {
                if (!value.has(name)) {
                    return at + " lacks the required property '" + name + "'";
                }
            }
            Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                Node property = schema.properties().get(field.getKey());
                if (property == null && !schema.additionalAllowed()) {
                    return at + " has the property '" + field.getKey() + "', which the schema does not allow "
                            + "(additionalProperties: false)";
                }
                Node check = property != null ? property : schema.additional();
                if (check != null) {
                    String problem = violation(check, field.getValue(), at + "." + field.getKey());
                    if (problem != null) {
                        return problem;
                    }
                }
            }
        }
        if (value.isArray() && schema.items() != null) {
            for (int i = 0; i < value.size(); i++) {
                String problem = violation(schema.items(), value.get(i), at + "[" + i + "]");
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "string" -> value.isTextual();
            case "number" -> value.isNumber();
            case "integer" -> value.isIntegralNumber()
                    || (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0);
            case "boolean" -> value.isBoolean();
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "null" -> value.isNull();
            default -> false;
        };
    }

    /** Equal JSON values; numbers by their value, so {@code 1} and {@code 1.0} are the same. */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            BigDecimal x = a.decimalValue();
            BigDecimal y = b.decimalValue();
            return x.compareTo(y) == 0;
        }
        return a.equals(b);
    }

    private static String describe(Set<String> types) {
        List<String> names = new ArrayList<>();
        for (String type : types) {
            names.add(type.equals("integer") || type.equals("object") || type.equals("array") ? "an " + type
                    : type.equals("null") ? "null" : "a " + type);
        }
        return String.join(" or ", names);
    }

    private static String shown(JsonNode value) {
        String json = value.toString();
        return json.length() > SHOWN_CHARS ? json.substring(0, SHOWN_CHARS - 3) + "..." : json;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AnswerSchema schema && schema.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }
}
