package io.llmstream.call;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockJsonAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code records.answer: json} in the call stage, against the mock over real sockets: an answer that is not
 * the JSON asked for is asked again as an attempt, and after the last one becomes an invalid_answer dead
 * letter keeping it.
 */
class JsonAnswerCallTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA = "{\"type\": \"object\", \"additionalProperties\": false,"
            + " \"required\": [\"sentiment\", \"stars\"], \"properties\": {"
            + " \"sentiment\": {\"type\": \"string\", \"enum\": [\"positive\", \"neutral\", \"negative\"]},"
            + " \"stars\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 5}}}";
    private static final int MAX_ATTEMPTS = 3;
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(11).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig config(String answer) {
        return TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock}}",
                "call: {timeout: 10s, retry: {max-attempts: " + MAX_ATTEMPTS + ", initial-backoff: 10ms, "
                        + "max-backoff: 20ms}}",
                "records: {template: {prompt: '{{text}}', parameters: {response_format: {type: json_schema, "
                        + "json_schema: {name: review, strict: true, schema: " + SCHEMA + "}}}}, answer: " + answer
                        + "}");
    }

    /** The request the parse stage makes of a templated record, with the response format. */
    private static ParsedInput queued(String id, String text) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        body.putObject("response_format").put("type", "json_schema").putObject("json_schema")
                .put("name", "review").put("strict", true).set("schema", JSON.readTree(SCHEMA));
        String input = JSON.createObjectNode().put("text", text).toString();
        LlmRequest request = new LlmRequest(id, "m1", 0, body.toString(), null, 20, 0, input, input.length(),
                System.currentTimeMillis(), new SourcePosition("reviews", 0, 3));
        return ParsedInput.valid(request);
    }

    private static List<CallResult> call(String answer, ParsedInput... requests) throws Exception {
        return CallStageHarness.run(config(answer), 60_000, 10, AsyncDataStream.OutputMode.ORDERED, List.of(requests));
    }

    @Test
    void aValidAnswerPassesAtTheFirstAttempt() throws Exception {
        long before = mock.stats().requests();

        Completion completion = call("json", queued("r-1", "Lovely room")).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(1);
        assertThat(JSON.readTree(completion.content()))
                .isEqualTo(MockJsonAnswers.answerFor(JSON.readTree(SCHEMA), "Lovely room"));
        assertThat(mock.stats().requests() - before).isEqualTo(1);
    }

    @Test
    void proseAndThenJsonCountsTwoAttempts() throws Exception {
        String text = "[[mock:not_jsonx1]] Rude staff";
        long before = mock.stats().requests();

        CallResult result = call("json", queued("r-2", text)).get(0);

        assertThat(result.deadLetter()).isNull();
        assertThat(result.completion().attempts()).isEqualTo(2);
        assertThat(JSON.readTree(result.completion().content()))
                .isEqualTo(MockJsonAnswers.answerFor(JSON.readTree(SCHEMA), text));
        assertThat(result.metric().attempts()).isEqualTo(2);
        assertThat(mock.stats().requests() - before).isEqualTo(2);
    }

    @Test
    void jsonOffTheSchemaIsAskedAgainToo() throws Exception {
        CallResult result = call("json", queued("r-3", "[[mock:off_schemax2]] Noisy street")).get(0);

        assertThat(result.completion().attempts()).isEqualTo(3);
        JsonNode answer = JSON.readTree(result.completion().content());
        assertThat(answer.has(MockJsonAnswers.OFF_SCHEMA_PROPERTY)).isFalse();
        assertThat(answer.path("stars").asInt()).isBetween(1, 5);
    }

    @Test
    void neverValidBecomesAnInvalidAnswerDeadLetterKeepingTheLastAnswer() throws Exception {
        String text = "[[mock:not_jsonx*]] Breakfast";
        long before = mock.stats().requests();

        CallResult result = call("json", queued("r-4", text)).get(0);

        DeadLetter deadLetter = result.deadLetter();
        assertThat(result.completion()).isNull();
        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.INVALID_ANSWER);
        assertThat(deadLetter.code()).isEqualTo("not_json");
        assertThat(deadLetter.attempts()).isEqualTo(MAX_ATTEMPTS);
        assertThat(deadLetter.status()).isEqualTo(200);
        assertThat(deadLetter.message()).startsWith("the answer is not JSON: Unrecognized token 'Echo'")
                .endsWith("(gave up: call.retry.max-attempts (3) reached)");
        assertThat(deadLetter.answer()).isEqualTo(MockAnswers.contentFor(text));
        assertThat(deadLetter.input()).isEqualTo(JSON.createObjectNode().put("text", text).toString());
        assertThat(result.metric().errorKind()).isEqualTo(ErrorKind.INVALID_ANSWER);
        assertThat(mock.stats().requests() - before).isEqualTo(MAX_ATTEMPTS);
    }

    @Test
    void aSchemaViolationOnEveryAttemptIsNamedInTheDeadLetter() throws Exception {
        DeadLetter deadLetter = call("json", queued("r-5", "[[mock:off_schemax*]] Price")).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.INVALID_ANSWER);
        assertThat(deadLetter.code()).isEqualTo("schema_violation");
        assertThat(deadLetter.message()).startsWith(
                "the answer does not match the schema: $ lacks the required property 'sentiment'");
        assertThat(JSON.readTree(deadLetter.answer()).path(MockJsonAnswers.OFF_SCHEMA_PROPERTY).asBoolean()).isTrue();
    }

    @Test
    void textAnswersAreNotChecked() throws Exception {
        String text = "[[mock:not_jsonx1]] Spa";

        Completion completion = call("text", queued("r-6", text)).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(1);
        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor(text));
    }
}
