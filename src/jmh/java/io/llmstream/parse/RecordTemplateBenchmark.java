package io.llmstream.parse;

import io.llmstream.record.ParsedInput;
import io.llmstream.config.ConfigLoader;
import io.llmstream.record.InputRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;

/**
 * The parse stage per record with {@code records.template} against the same request sent as a prompt record:
 * what rendering a business record (and checking room for enrichment) costs on top of UTF-8, JSON,
 * validation and the token estimate.
 */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class RecordTemplateBenchmark {
    private static final String BASE = "endpoints: {e: {base-url: 'http://x'}}\n"
            + "models: {gpt-4o-mini: {endpoint: e, tpm: 10000000}}\n";
    private static final String TEMPLATE = "template: {prompt: 'Classify the sentiment of this hotel review: {{text}}',"
            + " system: 'You are a precise classifier.', id: '{{review_id}}', parameters: {max_tokens: 64, "
            + "temperature: 0, response_format: {type: json_schema, json_schema: {name: r, schema: {type: object, "
            + "required: [sentiment], properties: {sentiment: {type: string, enum: [positive, negative]}}}}}}}";
    private static final String TEXT = "The room was spotless and the view over the lake was worth every franc; "
            + "breakfast was fresh and the staff remembered our names.";

    private PromptParser plainParser;
    private PromptParser templateParser;
    private PromptParser enrichParser;
    private InputRecord prompt;
    private InputRecord review;

    @Setup
    public void setUp() {
        ConfigLoader loader = new ConfigLoader(name -> null);
        plainParser = new PromptParser(loader.loadYaml(BASE));
        templateParser = new PromptParser(loader.loadYaml(BASE, "records: {" + TEMPLATE + "}"));
        enrichParser = new PromptParser(loader.loadYaml(BASE, "records: {" + TEMPLATE + ", output: enrich, "
                + "field: llm.analysis, answer: json, meta-field: _llmstream}"));
        prompt = record("{\"id\": \"5012\", \"messages\": [{\"role\": \"system\", \"content\": \"You are a precise "
                + "classifier.\"}, {\"role\": \"user\", \"content\": \"Classify the sentiment of this hotel review: "
                + TEXT + "\"}], \"max_tokens\": 64, \"temperature\": 0, \"response_format\": {\"type\": "
                + "\"json_schema\", \"json_schema\": {\"name\": \"r\", \"schema\": {\"type\": \"object\", \"required\":"
                + " [\"sentiment\"], \"properties\": {\"sentiment\": {\"type\": \"string\", \"enum\": [\"positive\", "
                + "\"negative\"]}}}}}}");
        review = record("{\"review_id\": 5012, \"hotel\": {\"name\": \"Seeblick\", \"city\": \"Luzern\"}, \"text\": \""
                + TEXT + "\", \"stars\": 5, \"tags\": [\"lake\", \"breakfast\"]}");
        check(plainParser.parse(prompt, 0));
        check(templateParser.parse(review, 0));
        check(enrichParser.parse(review, 0));
    }

    private static void check(ParsedInput parsed) {
        if (parsed.request() == null) {
            throw new IllegalStateException(parsed.deadLetter().message());
        }
    }

    private static InputRecord record(String json) {
        return new InputRecord("reviews", 0, 0, 0, json.getBytes(StandardCharsets.UTF_8));
    }

    @Benchmark
    public ParsedInput plainPrompt() {
        return plainParser.parse(prompt, 0);
    }

    @Benchmark
    public ParsedInput templatedRecord() {
        return templateParser.parse(review, 0);
    }

    @Benchmark
    public ParsedInput templatedRecordForEnrichment() {
        return enrichParser.parse(review, 0);
    }
}
