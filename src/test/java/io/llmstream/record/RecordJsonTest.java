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

    @Test
    void writesACompletionFieldByFieldInTheDocumentedOrder() {
        Completion completion = new Completion("p-1", "gpt-4o", "Hello \"there\" 世界", "stop", "[{\"id\":\"c1\"}]", 9, 4,
                13, 2, 120, 15, 33, "gpt-4o-mini", "circuit_open", "{\"k\": 1}", true, 3);

        assertThat(new String(RecordJson.completion(completion), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"p-1\",\"model\":\"gpt-4o\",\"content\":\"Hello \\\"there\\\" 世界\",\"finish_reason\":\"stop\","
                + "\"tool_calls\":[{\"id\":\"c1\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,"
                + "\"total_tokens\":13,\"shared\":true},\"attempts\":2,\"latency_ms\":120,\"wait_ms\":15,"
                + "\"first_token_ms\":33,\"fallback_from\":\"gpt-4o-mini\",\"fallback_reason\":\"circuit_open\","
                + "\"merged\":3,\"metadata\":{\"k\": 1},\"cached\":true}");
        Completion plain = new Completion("p-2", "m", null, null, null, 1, 2, 3, 1, 5, 0, -1, null, null, null);
        assertThat(new String(RecordJson.completion(plain), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"p-2\",\"model\":\"m\",\"content\":null,\"finish_reason\":null,\"usage\":{\"prompt_tokens\":1,"
                + "\"completion_tokens\":2,\"total_tokens\":3},\"attempts\":1,\"latency_ms\":5,\"wait_ms\":0,\"metadata\":null}");
    }
}
