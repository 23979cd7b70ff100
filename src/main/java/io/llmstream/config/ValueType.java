package io.llmstream.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * How one YAML value becomes a typed Java value. Each type names what it expected in its error, so a
 * wrong value fails with "call.capacity must be an integer, was 'many'".
 */
public abstract class ValueType<T> {

    public static final ValueType<String> STRING = scalar("a string", node -> node.asText());
    public static final ValueType<Integer> INT = scalar("an integer", ValueType::toInt);
    public static final ValueType<Long> LONG = scalar("an integer", ValueType::toLong);
    public static final ValueType<Double> DOUBLE = scalar("a number", ValueType::toDouble);
    public static final ValueType<Boolean> BOOLEAN = scalar("true or false", ValueType::toBoolean);
    public static final ValueType<Duration> DURATION =
            scalar("a duration such as 500ms, 10s or 2m", node -> Durations.parse(node.asText()));

    /** A list of strings; a single scalar counts as a list of one. */
    public static final ValueType<List<String>> STRING_LIST = new ValueType<>("a list of strings") {
        @Override
        List<String> convert(JsonNode node) {
            List<String> values = new ArrayList<>();
            if (node.isArray()) {
                for (JsonNode element : node) {
                    requireScalar(element);
                    values.add(element.asText());
                }
            } else {
                requireScalar(node);
                values.add(node.asText());
            }
            return Collections.unmodifiableList(values);
        }
    };

    /** A map of string to string, order kept; nested values are rejected. */
    public static final ValueType<Map<String, String>> STRING_MAP = new ValueType<>("a map of strings") {
        @Override
        Map<String, String> convert(JsonNode node) {
            if (!node.isObject()) {
                throw new IllegalArgumentException();
            }
            Map<String, String> values = new LinkedHashMap<>();
            node.fields().forEachRemaining(field -> {
                requireScalar(field.getValue());
                values.put(field.getKey(), field.getValue().asText());
            });
            return Collections.unmodifiableMap(values);
        }
    };

    /** A map of any JSON values (nested maps and lists included), as a tree; for parameters passed on to an API. */
    public static final ValueType<JsonNode> JSON_MAP = new ValueType<>("a map") {
        @Override
        JsonNode convert(JsonNode node) {
            if (!node.isObject()) {
                throw new IllegalArgumentException();
            }
            return node.deepCopy();
        }
    };

    private final String expected;

    private ValueType(String expected) {
        this.expected = expected;
    }

    /** One of the enum's constants, written in kebab-case in the file (AT_LEAST_ONCE as at-least-once). */
    public static <E extends Enum<E>> ValueType<E> enumType(Class<E> type) {
        StringBuilder names = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            names.append(names.length() == 0 ? "" : " | ").append(kebab(constant));
        }
        return new ValueType<>("one of " + names) {
            @Override
            E convert(JsonNode node) {
                requireScalar(node);
                String text = node.asText().trim();
                for (E constant : type.getEnumConstants()) {
                    if (kebab(constant).equalsIgnoreCase(text) || constant.name().equalsIgnoreCase(text)) {
                        return constant;
                    }
                }
                throw new IllegalArgumentException();
            }
        };
    }

    /** The file's spelling of an enum constant. */
    public static String kebab(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** What a value of this type looks like, for error messages. */
    public String expected() {
        return expected;
    }

    /**
     * Converts a YAML node.
     *
     * @throws IllegalArgumentException if the node is not a value of this type
     */
    abstract T convert(JsonNode node);

    private static <T> ValueType<T> scalar(String expected, Function<JsonNode, T> conversion) {
        return new ValueType<>(expected) {
            @Override
            T convert(JsonNode node) {
                requireScalar(node);
                return conversion.apply(node);
            }
        };
    }

    private static void requireScalar(JsonNode node) {
        if (!node.isValueNode() || node.isNull()) {
            throw new IllegalArgumentException();
        }
    }

    private static int toInt(JsonNode node) {
        long value = toLong(node);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException();
        }
        return (int) value;
    }

    private static long toLong(JsonNode node) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        return Long.parseLong(node.asText().trim().replace("_", ""));
    }

    private static double toDouble(JsonNode node) {
        if (node.isNumber()) {
            return node.asDouble();
        }
        double value = Double.parseDouble(node.asText().trim());
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException();
        }
        return value;
    }

    private static boolean toBoolean(JsonNode node) {
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        String text = node.asText().trim().toLowerCase(Locale.ROOT);
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException();
    }
}
