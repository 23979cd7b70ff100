package io.llmstream.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RecordJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesEveryFieldOfADeadLetterInTheDocumentedOrder() throws Exception {
        DeadLetter deadLetter = new DeadLetter("r-9", ErrorKind.BAD_REQUEST, 400, "invalid_value", "HTTP 400: no",
                1, "gpt-4o", "openai#1", 187, 0, "{\"id\": \"r-9\"}", 13, false, new SourcePosition("prompts", 0, 4711));

        JsonNode json = JSON.readTree(RecordJson.deadLetter(deadLetter));

        assertThat(json.fieldNames()).toIterable().containsExactly("id", "error", "attempts", "model", "key_id",
                "elapsed_ms", "output_bytes", "input", "input_bytes", "input_truncated", "source");
        assertThat(json.path("output_bytes").isNull()).isTrue();
        assertThat(json.path("input_bytes").isInt()).isTrue();
        assertThat(json.path("input_bytes").asInt()).isEqualTo(13);
        assertThat(json.path("input_truncated").isBoolean()).isTrue();
        assertThat(json.path("input_truncated").asBoolean()).isFalse();
    }

    @Test
    void writesTheOutputSizeOnlyForACompletionTooLargeToWrite() throws Exception {
        DeadLetter deadLetter = new DeadLetter("r-5", ErrorKind.OUTPUT_TOO_LARGE, 0, null, "too large", 2, "m1",
                "mock#1", 90, 2_097_702, "{\"prompt\": \"x\"}", 15, false, new SourcePosition("prompts", 1, 5));

        JsonNode json = JSON.readTree(RecordJson.deadLetter(deadLetter));

        assertThat(json.path("error").path("kind").asText()).isEqualTo("output_too_large");
        assertThat(json.path("error").path("status").isNull()).isTrue();
        assertThat(json.path("output_bytes").asLong()).isEqualTo(2_097_702);
    }
}
