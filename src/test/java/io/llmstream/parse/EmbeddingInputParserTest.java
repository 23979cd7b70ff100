package io.llmstream.parse;

import io.llmstream.record.ParsedInput;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.TestConfigs;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.LlmRequest;
import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Records for embedding models: input instead of prompt or messages, parameters passed through. */
class EmbeddingInputParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PromptParser parser = new PromptParser(TestConfigs.offline(
            "models: {emb: {endpoint: mock, kind: embedding, context-window: 50}, "
                    + "small: {endpoint: mock, kind: embedding, tpm: 10}}"));

    private ParsedInput parse(String value) {
        return parser.parse(new InputRecord("prompts", 1, 9, 0, value.getBytes(StandardCharsets.UTF_8)), 77);
    }

    private DeadLetter invalid(String value) {
        ParsedInput parsed = parse(value);
        assertThat(parsed.request()).as("request").isNull();
        assertThat(parsed.deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        return parsed.deadLetter();
    }

    @Test
    void turnsAnInputIntoAnEmbeddingsBodyChargingOnlyItsTokens() throws Exception {
        String value = "{\"id\": \"e-1\", \"model\": \"emb\", \"input\": \"The quick brown fox\", \"dimensions\": 8,"
                + " \"encoding_format\": \"base64\", \"user\": \"u-7\", \"priority\": 3, \"metadata\": {\"doc\": 12}}";
        ParsedInput parsed = parse(value);

        assertThat(parsed.deadLetter()).isNull();
        LlmRequest request = parsed.request();
        assertThat(request.id()).isEqualTo("e-1");
        assertThat(request.model()).isEqualTo("emb");
        assertThat(request.priority()).isEqualTo(3);
        assertThat(request.metadata()).isEqualTo("{\"doc\":12}");
        assertThat(JSON.readTree(request.body())).isEqualTo(JSON.readTree(
                "{\"input\": \"The quick brown fox\", \"dimensions\": 8, \"encoding_format\": \"base64\","
                        + " \"user\": \"u-7\"}"));
        assertThat(request.promptTokens())
                .isEqualTo(TokenEstimator.forEncoding("cl100k_base").countText("The quick brown fox"));
        assertThat(request.maxTokens()).isZero();
        assertThat(request.input()).isEqualTo(value);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\": \"emb\", \"prompt\": \"hi\"}                      | models.emb is an embedding model: give input (a string), not prompt",
        "{\"model\": \"emb\", \"messages\": [{\"role\": \"user\"}]}    | models.emb is an embedding model: give input (a string), not messages",
        "{\"model\": \"emb\"}                                          | input is required: models.emb is an embedding model",
        "{\"model\": \"emb\", \"input\": \"\"}                         | input must be a non-empty string, was \"\"",
        "{\"model\": \"emb\", \"input\": [\"a\", \"b\"]}               | input must be a non-empty string, was [\"a\",\"b\"]",
        "{\"model\": \"emb\", \"input\": \"a\", \"dimensions\": 0}     | dimensions must be a positive integer, was 0",
        "{\"model\": \"emb\", \"input\": \"a\", \"encoding_format\": \"int8\"} | encoding_format must be float or base64, was \"int8\"",
        "{\"model\": \"emb\", \"input\": \"a\", \"user\": 5}           | user must be a string, was 5",
        "{\"model\": \"m1\", \"input\": \"a\"}                         | input is for embedding models; models.m1 is a chat model: give prompt or messages, or name an embedding model",
        "{\"input\": \"a\"}                                            | input is for embedding models; models.m1 is a chat model: give prompt or messages, or name an embedding model",
        "{\"model\": \"small\", \"input\": \"one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty\"} | the input is about 20 tokens, more than models.small.tpm (10), so it could never be sent",
    })
    void refusesRecordsThatAreNotEmbeddingInputs(String value, String reason) {
        if (reason.startsWith("the input is about 20")) {
            // The estimate of that text; the point is the key and the limit named.
            assertThat(invalid(value).message()).startsWith("the input is about ")
                    .endsWith(" tokens, more than models.small.tpm (10), so it could never be sent");
            return;
        }
        assertThat(invalid(value).message()).isEqualTo(reason);
    }

    @Test
    void refusesAnInputLongerThanTheContextWindow() {
        String text = "word ".repeat(60);
        DeadLetter deadLetter = invalid("{\"model\": \"emb\", \"input\": \"" + text + "\", \"id\": \"long\"}");

        assertThat(deadLetter.id()).isEqualTo("long");
        assertThat(deadLetter.message()).matches("the input is about \\d+ tokens, more than models.emb.context-window \\(50\\)");
    }
}
