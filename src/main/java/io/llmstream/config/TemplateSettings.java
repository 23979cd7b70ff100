package io.llmstream.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.Serializable;
import java.util.Map;
import java.util.Set;

/**
 * How a business record becomes a prompt ({@code records.template}): the user message, an optional system
 * message, the id and the model, each a {@link TemplateText} over the record's fields, and parameters
 * passed to the API unchanged.
 *
 * @param system null when there is no system message
 * @param id null: the record's coordinates, {@code <topic>-<partition>-<offset>}
 * @param model null: {@code default-model}
 * @param parameters chat-completions parameters as a JSON object; {@code {}} when none
 */
public record TemplateSettings(
        TemplateText prompt,
        TemplateText system,
        TemplateText id,
        TemplateText model,
        String parameters,
        TemplateText lane) implements Serializable {

    public static final Option<String> PROMPT = Option.key("prompt").stringType().required()
            .withDescription("The user message, with {{field}} placeholders naming fields of the input record.");
    public static final Option<String> SYSTEM = Option.key("system").stringType().noDefaultValue()
            .withDescription("An optional system message, with placeholders like the prompt.");
    public static final Option<String> ID = Option.key("id").stringType().noDefaultValue()
            .withDescription("The output's id and key, e.g. \"{{review_id}}\"; default <topic>-<partition>-<offset>.");
    public static final Option<String> MODEL = Option.key("model").stringType().noDefaultValue()
            .withDescription("A configured model, or \"{{field}}\" to take it from the record; default default-model.");
    public static final Option<String> LANE = Option.key("lane").stringType().noDefaultValue()
            .withDescription("\"online\", \"batch\" (the model's Batch API lane) or \"{{field}}\" to take it from "
                    + "the record; default the model's (models.<m>.batch-lane.default).");
    public static final Option<JsonNode> PARAMETERS = Option.key("parameters").type(ValueType.JSON_MAP)
            .noDefaultValue()
            .withDescription("Chat-completions parameters passed to the API unchanged: max_tokens, temperature, "
                    + "response_format, ...");

    /** Fields a record template sets itself, so they may not be parameters. */
    private static final Map<String, String> OWN_FIELDS = Map.of(
            "id", "records.template.id", "model", "records.template.model", "prompt", "records.template.prompt",
            "messages", "records.template.prompt and records.template.system", "priority", "nothing: templated "
                    + "records all have priority 0", "metadata", "nothing: the enriched record keeps every field",
            "lane", "records.template.lane");
    private static final Set<String> CHECKED = Set.of("stream", "n");

    static TemplateSettings read(ConfigSection section) {
        TemplateText prompt = TemplateText.compile(section.pathOf(PROMPT.key()), section.get(PROMPT));
        if (prompt.isLiteral() && prompt.source().isBlank()) {
            throw new ConfigException(section.pathOf(PROMPT.key()) + " must not be empty");
        }
        TemplateText system = optional(section, SYSTEM);
        TemplateText id = optional(section, ID);
        TemplateText model = optional(section, MODEL);
        TemplateText lane = optional(section, LANE);
        JsonNode parameters = section.get(PARAMETERS);
        if (parameters != null) {
            checkParameters(section.pathOf(PARAMETERS.key()), parameters);
        }
        return new TemplateSettings(prompt, system, id, model, parameters == null ? "{}" : parameters.toString(),
                lane);
    }

    private static TemplateText optional(ConfigSection section, Option<String> option) {
        String text = section.get(option);
        return text == null ? null : TemplateText.compile(section.pathOf(option.key()), text);
    }

    private static void checkParameters(String key, JsonNode parameters) {
        parameters.fieldNames().forEachRemaining(name -> {
            String instead = OWN_FIELDS.get(name);
            if (instead != null) {
                throw new ConfigException(key + "." + name + " is set by the template itself; use " + instead);
            }
        });
        for (String name : CHECKED) {
            JsonNode value = parameters.get(name);
            if (value == null || value.isNull()) {
                continue;
            }
            if (name.equals("stream") && value.asBoolean(false)) {
                throw new ConfigException(key + ".stream must be false, was true: llmstream writes whole answers");
            }
            if (name.equals("n") && !(value.isIntegralNumber() && value.asInt() == 1)) {
                throw new ConfigException(key + ".n must be 1, was " + value);
            }
        }
    }
}
