package io.llmstream.call.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.record.LlmRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MergedPromptsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LlmRequest request(String model, String body) {
        return new LlmRequest("r", model, 0, body, null, 10, 0, "{}", 2, 0, null);
    }

    private static MergedPrompts.Mergeable of(String body) {
        return MergedPrompts.of(request("m1", body), 0);
    }

    @Test
    void aSingleUserPromptMergesWithItsTextUnchanged() {
        MergedPrompts.Mergeable mergeable = of(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Say \\\"hi\\\"\\n\\u00e9\"}], \"temperature\": 0}");

        assertThat(mergeable).isNotNull();
        assertThat(mergeable.prompt()).isEqualTo("Say \"hi\"\n\u00e9");
        assertThat(mergeable.parameters().toString()).isEqualTo("{\"temperature\":0}");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief\"}, {\"role\": \"user\", \"content\": \"x\"}]}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"name\": \"ann\"}]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"x\"}]}]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": []}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": \"none\"}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_object\"}}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stop\": [\"\\n\"]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stream\": false}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}",
        "not json"})
    void requestsThatCannotShareAReplyGoAlone(String body) {
        assertThat(of(body)).isNull();
    }

    @Test
    void nOfOneMerges() {
        assertThat(of("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 1}")).isNotNull();
    }

    @Test
    void theKeyIgnoresMaxTokensAndFieldOrderButNotOtherParametersModelOrShard() {
        String a = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"temperature\": 0.2, \"seed\": 1, "
                + "\"max_tokens\": 16}";
        String b = "{\"seed\": 1, \"max_tokens\": 300, \"messages\": [{\"role\": \"user\", \"content\": \"b\"}], "
                + "\"temperature\": 0.2}";
        String warmer = "{\"messages\": [{\"role\": \"user\", \"content\": \"b\"}], \"temperature\": 0.7, \"seed\": 1, "
                + "\"max_tokens\": 16}";
        String completionTokens = "{\"messages\": [{\"role\": \"user\", \"content\": \"b\"}], \"temperature\": 0.2, "
                + "\"seed\": 1, \"max_completion_tokens\": 16}";

        assertThat(of(a).key()).isEqualTo(of(b).key());
        assertThat(of(a).key()).isNotEqualTo(of(warmer).key());
        assertThat(of(a).key()).isNotEqualTo(of(completionTokens).key());
        assertThat(of(a).key()).isNotEqualTo(MergedPrompts.of(request("m2", a), 0).key());
        assertThat(of(a).key()).isNotEqualTo(MergedPrompts.of(request("m1", a), 1).key());
    }

    @Test
    void theBodyAsksForJsonAnswersToExactlyThePromptsJson() throws Exception {
        ObjectNode parameters = (ObjectNode) JSON.readTree("{\"temperature\": 0.2, \"max_tokens\": 16}");
        List<String> prompts = List.of("Name a colour.", "Quote: \"x\"\nand more");

        JsonNode body = MergedPrompts.body(parameters, prompts, MergedPrompts.maxTokens(List.of(16, 16)));

        JsonNode messages = body.get("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).get("content").asText()).isEqualTo(MergedPrompts.SYSTEM_MESSAGE)
                .contains("{\"answers\": [{\"index\": 0, \"answer\": \"...\"}");
        assertThat(messages.get(1).get("role").asText()).isEqualTo("user");
        assertThat(JSON.readTree(messages.get(1).get("content").asText())).isEqualTo(JSON.readTree(
                "{\"prompts\": [{\"index\": 0, \"prompt\": \"Name a colour.\"}, "
                        + "{\"index\": 1, \"prompt\": \"Quote: \\\"x\\\"\\nand more\"}]}"));
        assertThat(body.get("response_format")).isEqualTo(JSON.readTree("{\"type\": \"json_object\"}"));
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.get("max_tokens").asInt()).isEqualTo(2 * (16 + MergedPrompts.ANSWER_OVERHEAD_TOKENS)
                + MergedPrompts.REPLY_OVERHEAD_TOKENS);
        assertThat(parameters.get("max_tokens").asInt()).as("the member's parameters are left alone").isEqualTo(16);
    }

    @Test
    void withoutMaxTokensOfTheirOwnTheMergedBodySendsNone() throws Exception {
        JsonNode body = MergedPrompts.body((ObjectNode) JSON.readTree("{}"), List.of("a", "b"), 2000);

        assertThat(body.has("max_tokens")).isFalse();
        assertThat(body.has("max_completion_tokens")).isFalse();
    }

    @Test
    void maxCompletionTokensCarriesTheSumWhenTheMembersUsedIt() throws Exception {
        JsonNode body = MergedPrompts.body((ObjectNode) JSON.readTree("{\"max_completion_tokens\": 10}"),
                List.of("a", "b"), 60);

        assertThat(body.get("max_completion_tokens").asInt()).isEqualTo(60);
        assertThat(body.has("max_tokens")).isFalse();
    }
}
