package io.llmstream.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.Serializable;

/**
 * What the input records are and what the output holds ({@code records}): prompts as they are, or business
 * records turned into prompts by a {@link TemplateSettings template}; today's completion record, or the
 * input record enriched with the answer; the answer as text, or as JSON checked against the response
 * format's schema.
 *
 * @param template null: the input records are prompts
 * @param field where {@code output: enrich} puts the answer
 * @param metaField where {@code output: enrich} also puts the call's facts; null: only in Kafka headers
 * @param schema the {@code json_schema} of the template's response format, checked with {@code answer: json};
 *     null if there is none (then an answer need only be JSON)
 */
public record RecordsSettings(
        TemplateSettings template,
        Output output,
        FieldPath field,
        Answer answer,
        FieldPath metaField,
        AnswerSchema schema) implements Serializable {

    /** What the output topic receives. */
    public enum Output {
        /** Today's completion record: id, model, content, usage, ... */
        COMPLETION,
        /** The input record unchanged, with the answer added at {@code records.field}. */
        ENRICH
    }

    /** How the answer is read. */
    public enum Answer {
        /** The answer as a string. */
        TEXT,
        /** The answer parsed as JSON (and checked against the schema); an answer that is not is asked again. */
        JSON
    }

    public static final Option<Output> OUTPUT = Option.key("output").enumType(Output.class)
            .defaultValue(Output.COMPLETION)
            .withDescription("completion: today's completion record; enrich: the input record plus the answer.");
    public static final Option<String> FIELD = Option.key("field").stringType().noDefaultValue()
            .withDescription("Where output: enrich puts the answer; a dotted path creates nested objects. "
                    + "Default: answer.");
    public static final Option<Answer> ANSWER = Option.key("answer").enumType(Answer.class)
            .defaultValue(Answer.TEXT)
            .withDescription("text: the answer as a string; json: parsed JSON, checked against a json_schema "
                    + "response format, asked again when not valid.");
    public static final Option<String> META_FIELD = Option.key("meta-field").stringType().noDefaultValue()
            .withDescription("Where output: enrich also writes model, usage, latency and attempts; default none "
                    + "(they travel as Kafka headers llmstream.*).");

    /** The field the answer goes to when {@code records.field} is not set. */
    public static final String DEFAULT_FIELD = "answer";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Input records are prompts, output records completions: the behaviour without a {@code records} section. */
    public static RecordsSettings prompts() {
        return new RecordsSettings(null, Output.COMPLETION, FieldPath.parse(DEFAULT_FIELD), Answer.TEXT, null, null);
    }

    static RecordsSettings read(ConfigSection section) {
        boolean templated = section.has("template");
        ConfigSection templateSection = section.section("template");
        TemplateSettings template = templated ? TemplateSettings.read(templateSection) : null;
        Output output = section.get(OUTPUT);
        Answer answer = section.get(ANSWER);
        String fieldText = section.get(FIELD);
        String metaText = section.get(META_FIELD);
        if (output != Output.ENRICH) {
            for (Option<String> option : java.util.List.of(FIELD, META_FIELD)) {
                if (section.get(option) != null) {
                    throw new ConfigException(section.pathOf(option.key()) + " applies only to "
                            + section.pathOf(OUTPUT.key()) + ": enrich, but the output is completion; set "
                            + section.pathOf(OUTPUT.key()) + ": enrich or remove " + section.pathOf(option.key()));
                }
            }
        }
        FieldPath field = path(section, FIELD, fieldText == null ? DEFAULT_FIELD : fieldText);
        FieldPath metaField = metaText == null ? null : path(section, META_FIELD, metaText);
        if (metaField != null && overlaps(field, metaField)) {
            throw new ConfigException(section.pathOf(META_FIELD.key()) + " must not overlap "
                    + section.pathOf(FIELD.key()) + " (" + field + "), was " + metaField);
        }
        AnswerSchema schema = answer == Answer.JSON && template != null ? schemaOf(section, template) : null;
        return new RecordsSettings(template, output, field, answer, metaField, schema);
    }

    /** Whether one path is the other or lies inside it. */
    private static boolean overlaps(FieldPath a, FieldPath b) {
        return (a.text() + ".").startsWith(b.text() + ".") || (b.text() + ".").startsWith(a.text() + ".");
    }

    private static FieldPath path(ConfigSection section, Option<String> option, String text) {
        String problem = FieldPath.problem(text);
        if (problem != null) {
            throw new ConfigException(section.pathOf(option.key()) + " must be a field name or a dotted path such as "
                    + "analysis or llm.analysis, was '" + text + "' (" + problem + ")");
        }
        FieldPath path = FieldPath.parse(text);
        for (String segment : path.segments()) {
            if (FieldPath.isIndex(segment)) {
                throw new ConfigException(section.pathOf(option.key()) + " must name object fields, not array "
                        + "elements, was '" + text + "'");
            }
        }
        return path;
    }

    /** The schema of a {@code json_schema} response format among the template's parameters; null if none. */
    private static AnswerSchema schemaOf(ConfigSection section, TemplateSettings template) {
        JsonNode parameters;
        try {
            parameters = JSON.readTree(template.parameters());
        } catch (IOException e) {
            throw new IllegalStateException("parameters were JSON a moment ago", e);
        }
        JsonNode format = parameters.path("response_format");
        if (!"json_schema".equals(format.path("type").asText())) {
            return null;
        }
        String key = section.pathOf("template.parameters.response_format.json_schema.schema");
        JsonNode schema = format.path("json_schema").get("schema");
        if (schema == null || schema.isNull()) {
            throw new ConfigException(key + " is required when the response format's type is json_schema (and "
                    + section.pathOf(ANSWER.key()) + " is json)");
        }
        return AnswerSchema.compile(key, schema);
    }

    /** Whether input records are business records that a template turns into prompts. */
    public boolean templated() {
        return template != null;
    }

    public boolean enriches() {
        return output == Output.ENRICH;
    }

    public boolean jsonAnswers() {
        return answer == Answer.JSON;
    }
}
