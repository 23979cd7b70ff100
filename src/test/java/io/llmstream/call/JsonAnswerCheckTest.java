package io.llmstream.call;

import io.llmstream.call.http.AttemptOutcome;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.AnswerSchema;
import io.llmstream.record.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Whether an answer is the JSON its schema asks for, and what the failed attempt says when it is not. */
class JsonAnswerCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA = "{\"type\": \"object\", \"additionalProperties\": false,"
            + " \"required\": [\"sentiment\", \"stars\"],"
            + " \"properties\": {\"sentiment\": {\"type\": \"string\", \"enum\": [\"positive\", \"negative\"]},"
            + "  \"stars\": {\"type\": \"integer\"}, \"score\": {\"type\": [\"number\", \"null\"]},"
            + "  \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
            + "  \"flags\": {\"type\": \"object\", \"properties\": {\"spam\": {\"type\": \"boolean\"}},"
            + "            \"additionalProperties\": {\"type\": \"boolean\"}}}}";

    private static JsonAnswerCheck check() throws Exception {
        return new JsonAnswerCheck(AnswerSchema.compile("schema", JSON.readTree(SCHEMA)));
    }

    private static ChatAnswer answer(String content, String finishReason) {
        return new ChatAnswer(content, finishReason, null, 10, 5, 15);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"sentiment\": \"positive\", \"stars\": 4}",
            "{\"sentiment\": \"negative\", \"stars\": 1.0, \"score\": null}",
            "{\"sentiment\": \"negative\", \"stars\": 2, \"score\": 0.25, \"tags\": [\"room\", \"staff\"]}",
            "{\"sentiment\": \"positive\", \"stars\": 5, \"flags\": {\"spam\": false, \"other\": true}}",
            "  {\"stars\": 3, \"sentiment\": \"positive\"}\n",
    })
    void passesAnswersTheSchemaAllows(String content) throws Exception {
        assertThat(check().failure(answer(content, "stop"))).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"sentiment\": \"positive\"}|$ lacks the required property 'stars'",
            "{\"sentiment\": \"great\", \"stars\": 4}|$.sentiment must be one of [\"positive\", \"negative\"], was \"great\"",
            "{\"sentiment\": \"positive\", \"stars\": \"4\"}|$.stars must be an integer, was \"4\"",
            "{\"sentiment\": \"positive\", \"stars\": 4.5}|$.stars must be an integer, was 4.5",
            "{\"sentiment\": \"positive\", \"stars\": 4, \"extra\": 1}|$ has the property 'extra', which the schema "
                    + "does not allow (additionalProperties: false)",
            "{\"sentiment\": \"positive\", \"stars\": 4, \"score\": \"high\"}|$.score must be a number or null, was \"high\"",
            "{\"sentiment\": \"positive\", \"stars\": 4, \"tags\": [\"a\", 7]}|$.tags[1] must be a string, was 7",
            "{\"sentiment\": \"positive\", \"stars\": 4, \"flags\": {\"x\": 1}}|$.flags.x must be a boolean, was 1",
            "[1, 2]|$ must be an object, was [1,2]",
    })
    void namesWhatBreaksTheSchema(String content, String violation) throws Exception {
        AttemptOutcome failure = check().failure(answer(content, "stop"));

        assertThat(failure.kind()).isEqualTo(ErrorKind.INVALID_ANSWER);
        assertThat(failure.code()).isEqualTo("schema_violation");
        assertThat(failure.message()).isEqualTo("the answer does not match the schema: " + violation);
        assertThat(failure.retryable()).isTrue();
        assertThat(failure.status()).isEqualTo(200);
    }

    @Test
    void refusesAnswersThatAreNotJson() throws Exception {
        AttemptOutcome prose = check().failure(answer("The sentiment is positive.", "stop"));
        assertThat(prose.code()).isEqualTo("not_json");
        assertThat(prose.message()).startsWith("the answer is not JSON: Unrecognized token 'The'");

        AttemptOutcome cut = check().failure(answer("{\"sentiment\": \"posi", "length"));
        assertThat(cut.message()).startsWith("the answer is not JSON: ").endsWith(" (it was cut at max_tokens)");

        assertThat(check().failure(answer("{\"a\": 1} {\"b\": 2}", "stop")).code()).isEqualTo("not_json");
        assertThat(check().failure(answer("", "stop")).message()).isEqualTo("the answer is empty, not JSON");
        assertThat(check().failure(new ChatAnswer(null, "tool_calls", "[]", 1, 1, 2)).message())
                .isEqualTo("the answer has no content (only tool calls), not JSON");
    }

    @Test
    void withoutASchemaAnyJsonPasses() {
        JsonAnswerCheck anyJson = new JsonAnswerCheck(null);

        assertThat(anyJson.failure(answer("{\"whatever\": [1, 2]}", "stop"))).isNull();
        assertThat(anyJson.failure(answer("42", "stop"))).isNull();
        assertThat(anyJson.failure(answer("forty-two", "stop")).code()).isEqualTo("not_json");
    }
}
