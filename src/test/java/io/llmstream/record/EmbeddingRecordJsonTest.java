package io.llmstream.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The output record of an embedding model. */
class EmbeddingRecordJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Completion embedding(String vector, boolean shared, String fallbackFrom) {
        return new Completion("e-1", "emb", null, null, null, 7, 0, 7, 2, 120, 30, -1, fallbackFrom,
                fallbackFrom == null ? null : "circuit_open", "{\"doc\":1}", vector, shared);
    }

    @Test
    void writesTheVectorUnquotedAndOnlyPromptTokens() throws Exception {
        byte[] bytes = RecordJson.completion(embedding("[0.25,-0.5,1.0E-5]", true, null));
        String text = new String(bytes, StandardCharsets.UTF_8);

        assertThat(text).contains("\"embedding\":[0.25,-0.5,1.0E-5]");
        JsonNode json = JSON.readTree(bytes);
        assertThat(json).isEqualTo(JSON.readTree("{\"id\": \"e-1\", \"model\": \"emb\", \"embedding\": [0.25, -0.5, 1.0E-5],"
                + " \"usage\": {\"prompt_tokens\": 7, \"total_tokens\": 7, \"shared\": true}, \"attempts\": 2,"
                + " \"latency_ms\": 120, \"wait_ms\": 30, \"metadata\": {\"doc\": 1}}"));
        assertThat(json.has("content")).isFalse();
    }

    @Test
    void passesABase64VectorAsAStringAndNamesAFallback() throws Exception {
        JsonNode json = JSON.readTree(RecordJson.completion(embedding("\"AACAPw==\"", false, "emb-big")));

        assertThat(json.get("embedding").asText()).isEqualTo("AACAPw==");
        assertThat(json.get("usage").has("shared")).isFalse();
        assertThat(json.get("fallback_from").asText()).isEqualTo("emb-big");
        assertThat(json.get("fallback_reason").asText()).isEqualTo("circuit_open");
    }
}
