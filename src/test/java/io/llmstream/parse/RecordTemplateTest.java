package io.llmstream.parse;

import io.llmstream.record.ParsedInput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.TestConfigs;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.LlmRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The parse stage with {@code records.template}: business records in, the same requests as prompts make. */
class RecordTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PromptParser parser(String records) {
        return new PromptParser(TestConfigs.offline("models: {m2: {endpoint: mock}}", records));
    }

    private static ParsedInput parse(PromptParser parser, String value) {
        return parser.parse(new InputRecord("reviews", 1, 9, 0, value.getBytes(StandardCharsets.UTF_8)), 55);
    }

    private static LlmRequest valid(PromptParser parser, String value) {
        ParsedInput parsed = parse(parser, value);
        assertThat(parsed.deadLetter()).as("dead letter").isNull();
        return parsed.request();
    }

    private static DeadLetter invalid(PromptParser parser, String value) {
        ParsedInput parsed = parse(parser, value);
        assertThat(parsed.request()).as("request").isNull();
        assertThat(parsed.deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(parsed.deadLetter().input()).isEqualTo(value);
        return parsed.deadLetter();
    }

    private static String userMessage(LlmRequest request) throws Exception {
        JsonNode messages = JSON.readTree(request.body()).get("messages");
        return messages.get(messages.size() - 1).get("content").asText();
    }

    @Test
    void makesTheSameRequestAsTheEquivalentPrompt() throws Exception {
        PromptParser templated = parser("records: {template: {prompt: 'Classify: {{text}}', system: 'Be precise.', "
                + "id: '{{review_id}}', model: m2, parameters: {max_tokens: 64, temperature: 0, "
                + "response_format: {type: json_object}}}}");
        String record = "{\"review_id\": 5012, \"text\": \"Lovely room\", \"stars\": 4}";
        LlmRequest fromRecord = valid(templated, record);
        LlmRequest fromPrompt = valid(parser(""), "{\"id\": \"5012\", \"model\": \"m2\", \"messages\": ["
                + "{\"role\": \"system\", \"content\": \"Be precise.\"}, {\"role\": \"user\", \"content\": "
                + "\"Classify: Lovely room\"}], \"max_tokens\": 64, \"temperature\": 0, "
                + "\"response_format\": {\"type\": \"json_object\"}}");

        assertThat(fromRecord.id()).isEqualTo("5012");
        assertThat(fromRecord.model()).isEqualTo("m2");
        assertThat(JSON.readTree(fromRecord.body())).isEqualTo(JSON.readTree(fromPrompt.body()));
        assertThat(fromRecord.promptTokens()).isEqualTo(fromPrompt.promptTokens());
        assertThat(fromRecord.maxTokens()).isEqualTo(64);
        assertThat(fromRecord.input()).as("the record itself, for enrichment and dead letters").isEqualTo(record);
        assertThat(fromRecord.inputBytes()).isEqualTo(record.length());
        assertThat(fromRecord.source().offset()).isEqualTo(9);
    }

    @Test
    void rendersNestedFieldsArrayElementsAndNonStringsAsJson() throws Exception {
        PromptParser templated = parser("records: {template: {prompt: "
                + "'{{user.name}} ({{user.age}}) tagged {{tags.1}}; first order {{orders.0.total}}; tags {{tags}}; "
                + "vip {{user.vip}}; address {{user.address}}'}}");

        LlmRequest request = valid(templated, "{\"user\": {\"name\": \"Ada\", \"age\": 36, \"vip\": true, "
                + "\"address\": {\"city\": \"Zürich\", \"zip\": \"8001\"}}, \"tags\": [\"a\", \"b\"], "
                + "\"orders\": [{\"total\": 12.5}]}");

        assertThat(userMessage(request)).isEqualTo("Ada (36) tagged b; first order 12.5; tags [\"a\",\"b\"]; "
                + "vip true; address {\"city\":\"Zürich\",\"zip\":\"8001\"}");
        assertThat(request.id()).as("no id template: the coordinates").isEqualTo("reviews-1-9");
    }

    @Test
    void insertsValuesWithBracesAsTextWithoutExpandingThem() throws Exception {
        PromptParser templated = parser("records: {template: {prompt: 'A: {{a}} B: {{b}}'}}");

        LlmRequest request = valid(templated, "{\"a\": \"{{b}}\", \"b\": \"}} {{a}} {{missing}}\"}");

        assertThat(userMessage(request)).isEqualTo("A: {{b}} B: }} {{a}} {{missing}}");
    }

    @Test
    void keepsUnicodeIntact() throws Exception {
        PromptParser templated = parser("records: {template: {prompt: 'Übersetze »{{text}}«', id: '{{key}}'}}");

        LlmRequest request = valid(templated, "{\"key\": \"ключ-7\", \"text\": \"酒店很好 👍 \\u00e9\"}");

        assertThat(userMessage(request)).isEqualTo("Übersetze »酒店很好 👍 é«");
        assertThat(request.id()).isEqualTo("ключ-7");
    }

    @Test
    void aMissingOrNullFieldIsInvalidInputNamingIt() {
        PromptParser templated = parser("records: {template: {prompt: 'Classify: {{review.text}}', "
                + "id: '{{review_id}}'}}");

        DeadLetter missing = invalid(templated, "{\"review_id\": 7, \"review\": {\"title\": \"x\"}}");
        assertThat(missing.id()).isEqualTo("7");
        assertThat(missing.message())
                .isEqualTo("the record has no field review.text, which records.template.prompt needs");

        DeadLetter isNull = invalid(templated, "{\"review_id\": 8, \"review\": {\"text\": null}}");
        assertThat(isNull.message())
                .isEqualTo("the record has no field review.text (it is null), which records.template.prompt needs");

        DeadLetter noId = invalid(templated, "{\"review\": {\"text\": \"fine\"}}");
        assertThat(noId.id()).isEqualTo("reviews-1-9");
        assertThat(noId.message()).isEqualTo("the record has no field review_id, which records.template.id needs");

        DeadLetter outOfRange = invalid(parser("records: {template: {prompt: '{{tags.2}}'}}"), "{\"tags\": [1, 2]}");
        assertThat(outOfRange.message()).isEqualTo("the record has no field tags.2, which records.template.prompt needs");
    }

    @Test
    void aRecordThatIsNotAJsonObjectIsInvalidInput() {
        PromptParser templated = parser("records: {template: {prompt: '{{text}}'}}");

        assertThat(invalid(templated, "[1, 2]").message()).isEqualTo("the value must be a JSON object, was [1,2]");
        assertThat(invalid(templated, "\"text\"").message()).isEqualTo("the value must be a JSON object, was \"text\"");
        assertThat(invalid(templated, "{\"text\": ").message()).startsWith("the value is not valid JSON");
    }

    @Test
    void takesTheModelFromAFieldAndRefusesAnUnknownOne() {
        PromptParser templated = parser("records: {template: {prompt: '{{text}}', model: '{{tier}}'}}");

        assertThat(valid(templated, "{\"text\": \"hi\", \"tier\": \"m2\"}").model()).isEqualTo("m2");
        assertThat(invalid(templated, "{\"text\": \"hi\", \"tier\": \"gpt-9\"}").message())
                .isEqualTo("model \"gpt-9\" is not configured; configured models: [m1, m2]");
    }

    @Test
    void anIdLongerThanAKeyMayBeIsRefused() {
        PromptParser templated = parser("records: {template: {prompt: '{{text}}', id: '{{id}}'}}");

        DeadLetter tooLong = invalid(templated, "{\"text\": \"hi\", \"id\": \"" + "x".repeat(300) + "\"}");
        assertThat(tooLong.id()).isEqualTo("reviews-1-9");
        assertThat(tooLong.message()).isEqualTo("id must be at most 256 characters, was 300");
    }

    @Test
    void enrichRefusesARecordThatAlreadyHoldsTheField() {
        PromptParser enriching = parser("records: {template: {prompt: '{{text}}', id: '{{n}}'}, output: enrich, "
                + "field: llm.analysis, meta-field: _llmstream}");

        assertThat(valid(enriching, "{\"n\": 1, \"text\": \"a\", \"llm\": {\"other\": 1}}").id()).isEqualTo("1");
        assertThat(invalid(enriching, "{\"n\": 2, \"text\": \"a\", \"llm\": {\"analysis\": null}}").message())
                .isEqualTo("the record already has the field llm.analysis, where records.field puts the answer; "
                        + "it is not overwritten");
        assertThat(invalid(enriching, "{\"n\": 3, \"text\": \"a\", \"llm\": [1]}").message())
                .isEqualTo("the record's field llm is not an object, so records.field (llm.analysis) cannot be "
                        + "added to it");
        DeadLetter meta = invalid(enriching, "{\"n\": 4, \"text\": \"a\", \"_llmstream\": 1}");
        assertThat(meta.id()).isEqualTo("4");
        assertThat(meta.message()).isEqualTo("the record already has the field _llmstream, where records.meta-field "
                + "puts the facts of the call; it is not overwritten");
    }

    @Test
    void promptRecordsAreUnchangedWithoutATemplate() throws Exception {
        PromptParser plain = parser("records: {output: completion}");

        LlmRequest request = valid(plain, "{\"id\": \"p-1\", \"prompt\": \"{{text}} stays\"}");

        assertThat(userMessage(request)).isEqualTo("{{text}} stays");
        assertThat(request.id()).isEqualTo("p-1");
    }

    @Test
    void anEmbeddingModelGetsTheRenderedPromptAsItsInput() throws Exception {
        PromptParser templated = new PromptParser(TestConfigs.offline(
                "models: {emb: {endpoint: mock, kind: embedding}}",
                "records: {template: {prompt: '{{title}}: {{text}}', system: 'Not for embeddings.', "
                        + "id: '{{doc_id}}', model: emb, parameters: {dimensions: 64}}}"));

        LlmRequest request = valid(templated, "{\"doc_id\": 7, \"title\": \"Fox\", \"text\": \"quick {{brown}}\"}");

        assertThat(request.model()).isEqualTo("emb");
        assertThat(JSON.readTree(request.body())).isEqualTo(JSON.readTree(
                "{\"input\": \"Fox: quick {{brown}}\", \"dimensions\": 64}"));
        assertThat(request.maxTokens()).as("an embedding has no completion budget").isZero();
    }
}
