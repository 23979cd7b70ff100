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
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class PromptParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PromptParser parser = new PromptParser(TestConfigs.offline(
            "models: {m2: {endpoint: mock, tpm: 1000, default-max-tokens: 100}}\njob: {max-input-bytes: 2000}"));

    private ParsedInput parse(String value) {
        byte[] bytes = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        return parser.parse(new InputRecord("prompts", 3, 42, 0, bytes), 1234);
    }

    private LlmRequest valid(String value) {
        ParsedInput parsed = parse(value);
        assertThat(parsed.deadLetter()).as("dead letter").isNull();
        return parsed.request();
    }

    private DeadLetter invalid(String value) {
        ParsedInput parsed = parse(value);
        assertThat(parsed.request()).as("request").isNull();
        assertThat(parsed.deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        return parsed.deadLetter();
    }

    @Test
    void turnsAPromptIntoOneUserMessageWithDefaults() throws Exception {
        LlmRequest request = valid("{\"prompt\": \"Translate to French: hello\"}");

        assertThat(request.id()).isEqualTo("prompts-3-42");
        assertThat(request.model()).isEqualTo("m1");
        assertThat(request.priority()).isZero();
        assertThat(request.metadata()).isNull();
        assertThat(request.maxTokens()).isZero();
        assertThat(request.receivedAtMillis()).isEqualTo(1234);
        assertThat(JSON.readTree(request.body())).isEqualTo(JSON.readTree(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Translate to French: hello\"}]}"));
        assertThat(request.promptTokens()).isBetween(10, 20);
    }

    @Test
    void keepsMessagesAndPassesEveryOtherParameterThrough() throws Exception {
        String input = "{\"id\": \"r-2\", \"model\": \"m2\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief\"},"
                + " {\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 100, \"temperature\": 0.2, \"priority\": 5,"
                + " \"metadata\": {\"any\": [\"json\", 1]}, \"seed\": 7, \"response_format\": {\"type\": \"json_object\"}}";

        LlmRequest request = valid(input);

        assertThat(request.id()).isEqualTo("r-2");
        assertThat(request.model()).isEqualTo("m2");
        assertThat(request.priority()).isEqualTo(5);
        assertThat(request.maxTokens()).isEqualTo(100);
        assertThat(JSON.readTree(request.metadata())).isEqualTo(JSON.readTree("{\"any\": [\"json\", 1]}"));
        assertThat(request.input()).isEqualTo(input);
        JsonNode body = JSON.readTree(request.body());
        assertThat(body.fieldNames()).toIterable().containsExactlyInAnyOrder(
                "messages", "max_tokens", "temperature", "seed", "response_format");
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.get("messages")).hasSize(2);
    }

    @Test
    void acceptsANumericId() {
        assertThat(valid("{\"id\": 17, \"prompt\": \"x\"}").id()).isEqualTo("17");
    }

    @Test
    void deadLettersInputThatIsNotAPromptWithTheReason() {
        assertThat(invalid(null).message()).isEqualTo("the record has no value (a tombstone)");
        assertThat(invalid("not json").message()).startsWith("the value is not valid JSON: ");
        assertThat(invalid("[1, 2]").message()).isEqualTo("the value must be a JSON object, was [1,2]");
        assertThat(invalid("{}").message()).isEqualTo("prompt or messages is required");
        assertThat(invalid("{\"prompt\": \"a\", \"messages\": []}").message())
                .isEqualTo("give either prompt or messages, not both");
        assertThat(invalid("{\"prompt\": \"  \"}").message()).isEqualTo("prompt must be a non-empty string, was \"  \"");
        assertThat(invalid("{\"messages\": []}").message()).isEqualTo("messages must be a non-empty array, was []");
        assertThat(invalid("{\"messages\": [{\"content\": \"x\"}]}").message())
                .isEqualTo("messages[0] must be an object with a string role, was {\"content\":\"x\"}");
        assertThat(invalid("{\"prompt\": \"x\", \"model\": \"gpt-9\"}").message())
                .isEqualTo("model \"gpt-9\" is not configured; configured models: [m1, m2]");
        assertThat(invalid("{\"prompt\": \"x\", \"priority\": \"high\"}").message())
                .isEqualTo("priority must be an integer, was \"high\"");
        assertThat(invalid("{\"prompt\": \"x\", \"max_tokens\": 0}").message())
                .isEqualTo("max_tokens must be a positive integer, was 0");
        assertThat(invalid("{\"prompt\": \"x\", \"stream\": true}").message())
                .isEqualTo("stream: true is not supported; llmstream writes whole completions");
        assertThat(invalid("{\"prompt\": \"x\", \"n\": 3}").message())
                .isEqualTo("n must be 1, was 3; send separate prompts instead");
        assertThat(invalid("{\"prompt\": \"x\", \"id\": {}}").message()).isEqualTo("id must be a non-empty string, was {}");
        assertThat(invalid("{\"prompt\": \"a\", \"prompt\": \"b\"}").message()).contains("Duplicate field 'prompt'");
    }

    @Test
    void filesADeadLetterUnderTheInputsIdWhenItHasOne() {
        DeadLetter deadLetter = invalid("{\"id\": \"r-9\", \"prompt\": 5}");

        assertThat(deadLetter.id()).isEqualTo("r-9");
        assertThat(deadLetter.input()).isEqualTo("{\"id\": \"r-9\", \"prompt\": 5}");
        assertThat(deadLetter.inputBytes()).isEqualTo(26);
        assertThat(deadLetter.inputTruncated()).isFalse();
        assertThat(deadLetter.attempts()).isZero();
    }

    @Test
    void keepsTheOriginalSizeOfAValidInput() {
        String input = "{\"prompt\": \"d\u00e9j\u00e0 vu \uD83D\uDE00\"}";

        LlmRequest request = valid(input);

        assertThat(request.input()).isEqualTo(input);
        assertThat(request.inputBytes()).isEqualTo(input.getBytes(StandardCharsets.UTF_8).length).isEqualTo(28);
    }

    @Test
    void keepsOnlyAsMuchOfAHugeInvalidInputAsARecordCouldHold() {
        PromptParser small = new PromptParser(TestConfigs.offline(
                "kafka: {properties: {max.request.size: '16384'}}\njob: {max-input-bytes: 2000}"));
        String huge = "{\"prompt\": \"" + "d\u00e9j\u00e0 \uD83D\uDE00 \u4e2d ".repeat(200_000) + "\"}";
        byte[] bytes = huge.getBytes(StandardCharsets.UTF_8);

        DeadLetter deadLetter = small.parse(new InputRecord("prompts", 0, 9, 0, bytes), 0).deadLetter();

        assertThat(deadLetter.message()).isEqualTo("the value is " + bytes.length
                + " bytes, more than job.max-input-bytes (2000)");
        assertThat(deadLetter.inputBytes()).isEqualTo(bytes.length).isGreaterThan(3_000_000);
        assertThat(deadLetter.inputTruncated()).isTrue();
        assertThat(huge).startsWith(deadLetter.input());
        assertThat(deadLetter.input().getBytes(StandardCharsets.UTF_8).length).isBetween(16384 - 3, 16384);
    }

    @Test
    void cutsAHugeValueThatIsNotUtf8ToItsFirstBytes() {
        PromptParser small = new PromptParser(TestConfigs.offline(
                "kafka: {properties: {max.request.size: '16384'}}\njob: {max-input-bytes: 100000}"));
        byte[] bytes = new byte[50_000];
        Arrays.fill(bytes, (byte) 0xFF);

        DeadLetter deadLetter = small.parse(new InputRecord("prompts", 0, 9, 0, bytes), 0).deadLetter();

        assertThat(deadLetter.message()).isEqualTo("the value is not valid UTF-8");
        assertThat(deadLetter.inputBytes()).isEqualTo(50_000);
        assertThat(deadLetter.inputTruncated()).isTrue();
        assertThat(deadLetter.input()).hasSize(16384).matches("\uFFFD+");
    }

    @Test
    void refusesAnIdLongerThanARecordCanCarry() {
        DeadLetter deadLetter = invalid("{\"id\": \"" + "i".repeat(PromptParser.MAX_ID_CHARS + 1) + "\", \"prompt\": \"x\"}");

        assertThat(deadLetter.id()).isEqualTo("prompts-3-42");
        assertThat(deadLetter.message()).isEqualTo("id must be at most 256 characters, was 257");
        assertThat(valid("{\"id\": \"" + "i".repeat(PromptParser.MAX_ID_CHARS) + "\", \"prompt\": \"x\"}").id())
                .hasSize(PromptParser.MAX_ID_CHARS);
    }

    @Test
    void rejectsOversizedAndNonUtf8Values() {
        assertThat(invalid("{\"prompt\": \"" + "x".repeat(3000) + "\"}").message())
                .isEqualTo("the value is 3014 bytes, more than job.max-input-bytes (2000)");
        ParsedInput parsed = parser.parse(
                new InputRecord("prompts", 0, 1, 0, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}), 0);
        assertThat(parsed.deadLetter().message()).isEqualTo("the value is not valid UTF-8");
    }

    @Test
    void rejectsARequestThatCouldNeverFitTheTokenLimit() {
        DeadLetter deadLetter = invalid("{\"model\": \"m2\", \"prompt\": \"hello\", \"max_tokens\": 995}");

        assertThat(deadLetter.message()).matches("the request needs about 10\\d\\d tokens \\(\\d+ prompt \\+ 995 "
                + "completion\\), more than models.m2.tpm \\(1000\\), so it could never be sent");
    }

    @Test
    void leavesTheEstimateToTheCallStageWhenAskedAndItComesOutTheSame() {
        PromptParser later = new PromptParser(TestConfigs.offline(
                "models: {m2: {endpoint: mock, tpm: 1000, default-max-tokens: 100}}\njob: {max-input-bytes: 2000}"),
                true);
        String value = "{\"id\": \"r-9\", \"model\": \"m2\", \"messages\": [{\"role\": \"system\", \"content\": "
                + "\"Answer in one word.\"}, {\"role\": \"user\", \"content\": \"What colour is the sky?\"}]}";
        InputRecord record = new InputRecord("prompts", 3, 42, 0, value.getBytes(StandardCharsets.UTF_8));

        ParsedInput unestimated = later.parse(record, 1234);
        LlmRequest eager = parser.parse(record, 1234).request();

        assertThat(unestimated.request().promptTokens()).isEqualTo(LlmRequest.NOT_ESTIMATED);
        assertThat(unestimated.request().isEstimated()).isFalse();
        LlmRequest estimated = later.estimated(unestimated).request();
        assertThat(estimated).isEqualTo(eager);
        assertThat(estimated.promptTokens()).isGreaterThan(10);
        assertThat(later.estimated(ParsedInput.valid(estimated)).request()).isSameAs(estimated);
    }

    @Test
    void refusesALateEstimateThatCouldNeverFitTheTokenLimitWithTheSameReason() {
        PromptParser later = new PromptParser(TestConfigs.offline(
                "models: {m2: {endpoint: mock, tpm: 1000, default-max-tokens: 100}}\njob: {max-input-bytes: 2000}"),
                true);
        String value = "{\"id\": \"big\", \"model\": \"m2\", \"prompt\": \"hello\", \"max_tokens\": 995}";
        ParsedInput unestimated = later.parse(new InputRecord("prompts", 3, 42, 0,
                value.getBytes(StandardCharsets.UTF_8)), 0);
        assertThat(unestimated.isValid()).isTrue();

        DeadLetter deadLetter = later.estimated(unestimated).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(deadLetter.id()).isEqualTo("big");
        assertThat(deadLetter.input()).isEqualTo(value);
        assertThat(deadLetter.source()).isEqualTo(unestimated.request().source());
        assertThat(deadLetter.message()).isEqualTo(invalid(value).message());
    }

    @Test
    void estimatesBatchLaneAndEmbeddingRequestsAtOnceEvenWhenAskedToWait() {
        PromptParser later = new PromptParser(TestConfigs.offline(
                "models: {e1: {endpoint: mock, kind: embedding}}"), true);
        ParsedInput embedding = later.parse(new InputRecord("prompts", 0, 1, 0,
                "{\"model\": \"e1\", \"input\": \"a few words to embed\"}".getBytes(StandardCharsets.UTF_8)), 0);

        assertThat(embedding.request().isEstimated()).isTrue();
        assertThat(embedding.request().promptTokens()).isPositive();
    }
}
