package io.llmstream.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code records} section: what it reads to, and the exact message of each mistake. */
class RecordsSettingsTest {
    private static final String MINIMAL = "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1/'}}\n"
            + "models: {m1: {endpoint: mock}, m2: {endpoint: mock}}\n";
    private static final String SCHEMA = "{type: object, additionalProperties: false, required: [sentiment, stars], "
            + "properties: {sentiment: {type: string, enum: [positive, negative]}, stars: {type: integer}}}";

    private static LlmStreamConfig load(String records) {
        return new ConfigLoader(name -> null).loadYaml(MINIMAL, records);
    }

    private static void refused(String records, String message) {
        assertThatThrownBy(() -> load(records)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void withoutARecordsSectionRecordsArePromptsAndOutputsCompletions() {
        RecordsSettings records = load("").records();

        assertThat(records).isEqualTo(RecordsSettings.prompts());
        assertThat(records.templated()).isFalse();
        assertThat(records.enriches()).isFalse();
        assertThat(records.jsonAnswers()).isFalse();
    }

    @Test
    void readsATemplateWithEnrichmentAndItsSchema() throws Exception {
        RecordsSettings records = load("records: {template: {prompt: 'Classify: {{text}}', system: 'Be precise.', "
                + "id: '{{review_id}}', model: m2, parameters: {max_tokens: 64, response_format: {type: json_schema, "
                + "json_schema: {name: review, strict: true, schema: " + SCHEMA + "}}}}, output: enrich, "
                + "field: llm.analysis, answer: json, meta-field: _llmstream}").records();

        assertThat(records.template().prompt().literals()).containsExactly("Classify: ", "");
        assertThat(records.template().prompt().placeholders()).containsExactly(FieldPath.parse("text"));
        assertThat(records.template().id().isSinglePlaceholder()).isTrue();
        assertThat(records.template().model().isLiteral()).isTrue();
        assertThat(new ObjectMapper().readTree(records.template().parameters()).path("max_tokens").asInt())
                .isEqualTo(64);
        assertThat(records.output()).isEqualTo(RecordsSettings.Output.ENRICH);
        assertThat(records.field().segments()).containsExactly("llm", "analysis");
        assertThat(records.metaField().segments()).containsExactly("_llmstream");
        assertThat(records.schema()).as("the schema of the json_schema response format").isNotNull();
        assertThat(records.schema().violation(new ObjectMapper().readTree("{\"sentiment\": \"positive\", "
                + "\"stars\": 4}"))).isNull();
    }

    @Test
    void aJsonAnswerWithoutASchemaNeedsOnlyBeJson() {
        RecordsSettings records = load("records: {template: {prompt: '{{text}}', parameters: "
                + "{response_format: {type: json_object}}}, answer: json}").records();

        assertThat(records.jsonAnswers()).isTrue();
        assertThat(records.schema()).isNull();
        assertThat(records.field().text()).isEqualTo("answer");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'Classify: {{text'|records.template.prompt has an unclosed placeholder at character 10: '{{text'; "
                    + "placeholders look like {{field}} or {{field.nested}}",
            "'Classify: text}}'|records.template.prompt has '}}' without '{{' at character 14: '}}'; "
                    + "placeholders look like {{field}} or {{field.nested}}",
            "'Classify: {{}}'|records.template.prompt has an invalid placeholder '{{}}': an empty path; "
                    + "placeholders look like {{field}}, {{user.name}} or {{tags.0}}",
            "'{{user..name}}'|records.template.prompt has an invalid placeholder '{{user..name}}': a path with an "
                    + "empty segment (two dots, or a dot at an end); placeholders look like {{field}}, {{user.name}} "
                    + "or {{tags.0}}",
            "'{{first name}}'|records.template.prompt has an invalid placeholder '{{first name}}': a path with ' ' in "
                    + "it (names are separated by dots and cannot hold braces or white space); placeholders look like "
                    + "{{field}}, {{user.name}} or {{tags.0}}",
    })
    void refusesPlaceholdersItCannotRead(String prompt, String message) {
        refused("records: {template: {prompt: \"" + prompt + "\"}}", message);
    }

    @Test
    void refusesMistakesWithSentencesNamingTheKeyAndTheValue() {
        refused("records: {template: {system: 'x'}}",
                "records.template.prompt is required: " + TemplateSettings.PROMPT.description());
        refused("records: {template: {prompt: ' '}}", "records.template.prompt must not be empty");
        refused("records: {template: {prompt: '{{text}}', model: gpt-9}}",
                "records.template.model must be one of the models [m1, m2] or a placeholder such as \"{{model}}\", "
                        + "was gpt-9");
        refused("records: {template: {prompt: '{{text}}', parameters: {model: m1}}}",
                "records.template.parameters.model is set by the template itself; use records.template.model");
        refused("records: {template: {prompt: '{{text}}', parameters: {messages: []}}}",
                "records.template.parameters.messages is set by the template itself; use records.template.prompt "
                        + "and records.template.system");
        refused("records: {template: {prompt: '{{text}}', parameters: {stream: true}}}",
                "records.template.parameters.stream must be false, was true: llmstream writes whole answers");
        refused("records: {template: {prompt: '{{text}}', parameters: {n: 2}}}",
                "records.template.parameters.n must be 1, was 2");
        refused("records: {template: {prompt: '{{text}}', parameters: [1]}}",
                "records.template.parameters must be a map, was '[1]'");
        refused("records: {output: enrich-it}",
                "records.output must be one of completion | enrich, was 'enrich-it'");
        refused("records: {answer: yaml}", "records.answer must be one of text | json, was 'yaml'");
        refused("records: {field: analysis}",
                "records.field applies only to records.output: enrich, but the output is completion; set "
                        + "records.output: enrich or remove records.field");
        refused("records: {output: enrich, field: 'llm..x'}",
                "records.field must be a field name or a dotted path such as analysis or llm.analysis, was 'llm..x' "
                        + "(a path with an empty segment (two dots, or a dot at an end))");
        refused("records: {output: enrich, field: 'tags.0'}",
                "records.field must name object fields, not array elements, was 'tags.0'");
        refused("records: {output: enrich, field: llm.analysis, meta-field: llm}",
                "records.meta-field must not overlap records.field (llm.analysis), was llm");
        refused("records: {template: {prompt: '{{text}}', parameters: {response_format: {type: json_schema, "
                + "json_schema: {name: x}}}}, answer: json}",
                "records.template.parameters.response_format.json_schema.schema is required when the response "
                        + "format's type is json_schema (and records.answer is json)");
        refused("records: {template: {prompt: '{{text}}', promt: x}}",
                "unknown key 'records.template.promt'; did you mean 'records.template.prompt'?");
        refused("records: {templates: {prompt: x}}", "unknown key 'records.templates'; did you mean 'records.template'?");
    }

    @Test
    void refusesASchemaTheChecksCannotRead() {
        String prefix = "records: {template: {prompt: '{{text}}', parameters: {response_format: {type: json_schema, "
                + "json_schema: {name: x, schema: ";
        String key = "records.template.parameters.response_format.json_schema.schema";
        Map<String, String> cases = Map.of(
                "{type: object, properties: {stars: {type: int}}}",
                key + ".properties.stars.type must be one of string, number, integer, boolean, object, array, null "
                        + "(or a list of them), was \"int\"",
                "{type: object, required: stars}", key + ".required must be a list of property names, was \"stars\"",
                "{type: object, additionalProperties: maybe}",
                key + ".additionalProperties must be true, false or a schema, was \"maybe\"",
                "{type: string, enum: []}", key + ".enum must be a non-empty list of values, was []",
                "[1]", key + " must be a JSON schema (a map), was [1]");
        cases.forEach((schema, message) -> refused(prefix + schema + "}}}}, answer: json}", message));
    }

    @Test
    void theShippedExampleLoads() {
        LlmStreamConfig config = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test")::get).load(List.of(java.nio.file.Path.of(
                "conf/llmstream.yaml"), java.nio.file.Path.of("conf/examples/enrich-reviews.yaml")));

        assertThat(config.records().templated()).isTrue();
        assertThat(config.records().enriches()).isTrue();
        assertThat(config.records().schema()).isNotNull();
    }

    @Test
    void jsonAnswersCannotComeFromMergedRequests() {
        assertThatThrownBy(() -> new ConfigLoader(name -> null).loadYaml(
                "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1/'}}\n"
                        + "models: {m1: {endpoint: mock, merge: {max-prompts: 8}}}\n",
                "records: {template: {prompt: 'Classify: {{text}}'}, answer: json}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models.m1.merge cannot be used with records.answer: json (each JSON answer is checked "
                        + "and asked again on its own); remove merge from the model or use records.answer: text");
    }
}
