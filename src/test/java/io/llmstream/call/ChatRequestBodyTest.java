package io.llmstream.call;

import io.llmstream.call.http.StreamSwitch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChatRequestBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode body(String model, String prompt, StreamSwitch.Mode mode) throws Exception {
        byte[] bytes = ChatRequestFactory.bodyWithModel(model, prompt, mode);
        return JSON.readTree(bytes);
    }

    @Test
    void putsTheModelFirstAndTheStreamOptionsLastAroundTheBodyAsItIs() throws Exception {
        String prompt = "{\"messages\":[{\"role\":\"user\",\"content\":\"Grüße, 世界 😀 \\\"quoted\\\"\"}],\"max_tokens\":8}";

        byte[] bytes = ChatRequestFactory.bodyWithModel("gpt-4o-mini", prompt, StreamSwitch.Mode.STREAM_WITH_USAGE);

        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"model\":\"gpt-4o-mini\","
                + prompt.substring(1, prompt.length() - 1) + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        JsonNode json = JSON.readTree(bytes);
        assertThat(json.fieldNames()).toIterable().containsExactly("model", "messages", "max_tokens", "stream",
                "stream_options");
        assertThat(json.at("/messages/0/content").asText()).isEqualTo("Grüße, 世界 😀 \"quoted\"");
    }

    @Test
    void writesTheSameJsonAsParsingAndWritingTheBodyWould() throws Exception {
        for (String prompt : List.of("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "{}", "{ }",
                " {\"input\": \"text\", \"dimensions\": 8} ",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"which \\\"model\\\" are you?\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}")) {
            for (StreamSwitch.Mode mode : StreamSwitch.Mode.values()) {
                JsonNode expected = JSON.createObjectNode().put("model", "m \"1\"");
                ((com.fasterxml.jackson.databind.node.ObjectNode) expected).setAll(
                        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(prompt));
                if (mode.streams()) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) expected).put("stream", true);
                }
                if (mode == StreamSwitch.Mode.STREAM_WITH_USAGE) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) expected).putObject("stream_options")
                            .put("include_usage", true);
                }
                assertThat(body("m \"1\"", prompt, mode)).as(prompt + " " + mode).isEqualTo(expected);
            }
        }
    }
}
