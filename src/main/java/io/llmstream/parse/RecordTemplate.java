package io.llmstream.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.FieldPath;
import io.llmstream.config.TemplateSettings;
import io.llmstream.config.TemplateText;

import java.util.Iterator;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Turns a business record into a prompt with {@code records.template}: the same JSON object a prompt record
 * would be ({@code id}, {@code model}, {@code messages} and the parameters), so the parser treats both
 * alike and everything downstream is unchanged.
 *
 * <p>Placeholders name fields by dotted path (objects by name, arrays by index). A string is inserted as it
 * is, anything else as JSON; a field that is absent or null makes the record unfit, naming the field. The
 * templates were compiled once, so a value that contains {@code {{...}}} is text, never expanded.
 *
 * <p>For an embedding model the rendered prompt is the record's {@code input} (the text to embed) and the
 * system template is not used: an embeddings request has no messages.
 */
final class RecordTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TemplateSettings settings;
    private final ObjectNode parameters;
    private final Predicate<String> embeddingModel;
    private final String defaultModel;

    /**
     * @param embeddingModel whether a configured model name is an embedding model
     * @param defaultModel the model of records whose template names none
     */
    RecordTemplate(TemplateSettings settings, Predicate<String> embeddingModel, String defaultModel) {
        this.settings = settings;
        this.embeddingModel = embeddingModel;
        this.defaultModel = defaultModel;
        try {
            this.parameters = (ObjectNode) JSON.readTree(settings.parameters());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("records.template.parameters were checked at start", e);
        }
    }

    /** A record the template cannot render: the id it is filed under and what is missing. */
    static final class Unfit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String id;

        Unfit(String id, String message) {
            super(message, null, false, false);
            this.id = id;
        }
    }

    /**
     * The prompt the template makes of the record.
     *
     * @param fallbackId the id when the template has none, or when rendering the id fails
     * @throws Unfit when a field the template needs is absent or null
     */
    ObjectNode render(ObjectNode record, String fallbackId) {
        ObjectNode prompt = JSON.createObjectNode();
        String id = fallbackId;
        if (settings.id() != null) {
            id = renderText(settings.id(), record, "records.template.id", fallbackId);
            prompt.put("id", id);
        }
        String model = defaultModel;
        if (settings.model() != null) {
            model = renderText(settings.model(), record, "records.template.model", id);
            prompt.put("model", model);
        }
        if (settings.lane() != null) {
            prompt.put("lane", renderText(settings.lane(), record, "records.template.lane", id));
        }
        if (embeddingModel.test(model)) {
            prompt.put("input", renderText(settings.prompt(), record, "records.template.prompt", id));
            addParameters(prompt);
            return prompt;
        }
        ArrayNode messages = prompt.putArray("messages");
        if (settings.system() != null) {
            messages.addObject().put("role", "system")
                    .put("content", renderText(settings.system(), record, "records.template.system", id));
        }
        messages.addObject().put("role", "user")
                .put("content", renderText(settings.prompt(), record, "records.template.prompt", id));
        addParameters(prompt);
        return prompt;
    }

    private void addParameters(ObjectNode prompt) {
        Iterator<Map.Entry<String, JsonNode>> fields = parameters.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            // Shared, not copied: nothing downstream changes a parameter's value.
            prompt.set(field.getKey(), field.getValue());
        }
    }

    /** The template with each placeholder replaced by its field's text, in one pass. */
    static String renderText(TemplateText template, JsonNode record, String key, String id) {
        if (template.isLiteral()) {
            return template.source();
        }
        StringBuilder out = new StringBuilder(template.source().length() + 64);
        for (int i = 0; i < template.placeholders().size(); i++) {
            out.append(template.literals().get(i));
            FieldPath path = template.placeholders().get(i);
            JsonNode value = resolve(record, path);
            if (value == null || value.isNull()) {
                throw new Unfit(id, "the record has no field " + path + (value == null ? "" : " (it is null)")
                        + ", which " + key + " needs");
            }
            out.append(value.isTextual() ? value.textValue() : value.toString());
        }
        out.append(template.literals().get(template.literals().size() - 1));
        return out.toString();
    }

    /** The value at a path: object fields by name, array elements by index; null if there is none. */
    static JsonNode resolve(JsonNode record, FieldPath path) {
        JsonNode node = record;
        for (String segment : path.segments()) {
            if (node.isObject()) {
                node = node.get(segment);
            } else if (node.isArray() && FieldPath.isIndex(segment)) {
                node = node.get(Integer.parseInt(segment));
            } else {
                return null;
            }
            if (node == null) {
                return null;
            }
        }
        return node;
    }
}
