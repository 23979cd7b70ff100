package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.Map;

/**
 * The mock's answers to requests that ask for JSON ({@code response_format}), pure functions of the prompt
 * and the schema like {@link MockAnswers}: {@code json_object} gets {@code {"echo": "Echo[H]: ..."}};
 * {@code json_schema} gets a value its schema allows, every property filled in: an enum value picked by the
 * prompt's hash, strings as the usual echo, integers and numbers within {@code minimum}/{@code maximum},
 * one element per array. The directives {@code not_json} (the usual prose answer) and {@code off_schema}
 * (JSON that breaks the schema: the first required property left out and an unknown one added) make a
 * client's checks fail on purpose.
 */
public final class MockJsonAnswers {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The property an {@code off_schema} answer adds. */
    public static final String OFF_SCHEMA_PROPERTY = "mock_off_schema";

    /** What kind of JSON answer a request gets. */
    enum Shape { VALID, NOT_JSON, OFF_SCHEMA }

    private MockJsonAnswers() {}

    /** The content for a request, or null when it asks for no JSON (or for prose, {@code not_json}). */
    static String contentFor(JsonNode body, String lastUserText, Shape shape) {
        JsonNode format = body.path("response_format");
        String type = format.path("type").asText("");
        if (shape == Shape.NOT_JSON || !(type.equals("json_object") || type.equals("json_schema"))) {
            return null;
        }
        JsonNode answer = type.equals("json_schema")
                ? answerFor(format.path("json_schema").path("schema"), lastUserText)
                : NODES.objectNode().put("echo", MockAnswers.contentFor(lastUserText));
        return (shape == Shape.OFF_SCHEMA ? offSchema(answer, format.path("json_schema").path("schema")) : answer)
                .toString();
    }

    /** The JSON the mock answers a prompt with under a schema: every property, each an allowed value. */
    public static JsonNode answerFor(JsonNode schema, String lastUserText) {
        return generate(schema, lastUserText == null ? "" : lastUserText, "$");
    }

    private static JsonNode generate(JsonNode schema, String text, String path) {
        JsonNode values = schema.path("enum");
        if (values.isArray() && !values.isEmpty()) {
            return values.get(draw(text, path) % values.size());
        }
        switch (typeOf(schema)) {
            case "object": {
                ObjectNode object = NODES.objectNode();
                Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
                while (properties.hasNext()) {
                    Map.Entry<String, JsonNode> property = properties.next();
                    object.set(property.getKey(), generate(property.getValue(), text, path + "." + property.getKey()));
                }
                return object;
            }
            case "array": {
                ArrayNode array = NODES.arrayNode();
                if (schema.has("items")) {
                    array.add(generate(schema.get("items"), text, path + "[0]"));
                }
                return array;
            }
            case "integer": {
                long min = schema.path("minimum").asLong(0);
                long max = schema.path("maximum").asLong(min + 99);
                long value = min + draw(text, path) % (max - min + 1);
                // As a reader of the JSON text would have it: an int when it fits.
                return value == (int) value ? NODES.numberNode((int) value) : NODES.numberNode(value);
            }
            case "number": {
                double min = schema.path("minimum").asDouble(0);
                double max = schema.path("maximum").asDouble(min + 100);
                return NODES.numberNode(min + (draw(text, path) % 1000) / 1000.0 * (max - min));
            }
            case "boolean":
                return NODES.booleanNode(draw(text, path) % 2 == 0);
            case "null":
                return NODES.nullNode();
            default:
                return NODES.textNode(MockAnswers.contentFor(text));
        }
    }

    /** The schema's type: the first that is not null of a list; object with properties; string otherwise. */
    private static String typeOf(JsonNode schema) {
        JsonNode type = schema.path("type");
        if (type.isArray()) {
            for (JsonNode name : type) {
                if (!name.asText().equals("null")) {
                    return name.asText();
                }
            }
            return "null";
        }
        if (type.isTextual()) {
            return type.asText();
        }
        return schema.has("properties") ? "object" : "string";
    }

    private static JsonNode offSchema(JsonNode answer, JsonNode schema) {
        if (!answer.isObject()) {
            return answer.isTextual() ? NODES.numberNode(0) : NODES.textNode("off schema");
        }
        ObjectNode broken = ((ObjectNode) answer).deepCopy();
        JsonNode required = schema.path("required");
        if (required.isArray() && !required.isEmpty()) {
            broken.remove(required.get(0).asText());
        }
        broken.put(OFF_SCHEMA_PROPERTY, true);
        return broken;
    }

    /** A non-negative number from the prompt and the place in the schema. */
    private static int draw(String text, String path) {
        return ByteBuffer.wrap(MockAnswers.sha256(text + "#" + path)).getInt() & Integer.MAX_VALUE;
    }
}
