package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static io.llmstream.local.mock.MockTestClient.chatBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Merged requests over a real socket: the answers by index, and the ways a test makes them go wrong. */
class MockMergeTest {
    private static final String KEY = "sk-test";
    private static MockLlmServer server;
    private static MockLlmServer dropping;
    private static MockTestClient client;
    private static MockTestClient droppingClient;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0).build());
        dropping = MockLlmServer.start(MockOptions.builder().port(0).seed(7).mergeDropRate(1.0).build());
        client = new MockTestClient(server);
        droppingClient = new MockTestClient(dropping);
    }

    @AfterAll
    static void stop() {
        server.close();
        dropping.close();
    }

    /** A merged request as llmstream sends it: the prompts JSON as the last user message, JSON out. */
    private static ObjectNode merged(List<String> prompts) {
        ObjectNode user = JSON.createObjectNode();
        ArrayNode list = user.putArray("prompts");
        for (int i = 0; i < prompts.size(); i++) {
            list.addObject().put("index", i).put("prompt", prompts.get(i));
        }
        ObjectNode body = chatBody("gpt-4o-mini", user.toString());
        body.withArray("messages").insertObject(0).put("role", "system").put("content", "Answer each as JSON.");
        body.putObject("response_format").put("type", "json_object");
        return body;
    }

    private static JsonNode answers(MockTestClient.Reply reply) throws Exception {
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        String content = reply.json().path("choices").path(0).path("message").path("content").asText();
        return JSON.readTree(content).get("answers");
    }

    @Test
    void answersEveryPromptUnderItsIndexWithItsUsualAnswer() throws Exception {
        List<String> prompts = List.of("Name a colour.", "Quote \"this\"\nplease", "Name a fruit.");

        JsonNode answers = answers(client.post("/v1/chat/completions", KEY, merged(prompts)));

        assertThat(answers).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(answers.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(answers.get(i).get("answer").asText()).isEqualTo(MockAnswers.contentFor(prompts.get(i)));
        }
    }

    @Test
    void withoutAJsonResponseFormatThePromptsJsonIsAnOrdinaryPrompt() throws Exception {
        ObjectNode body = merged(List.of("a", "b"));
        body.remove("response_format");
        String userText = body.get("messages").get(1).get("content").asText();

        MockTestClient.Reply reply = client.post("/v1/chat/completions", KEY, body);

        assertThat(reply.json().path("choices").path(0).path("message").path("content").asText())
                .isEqualTo(MockAnswers.contentFor(userText));
    }

    @Test
    void markersLeaveOutRepeatOrMisplaceOneAnswer() throws Exception {
        List<String> prompts = List.of("keep", "drop " + MockMerge.OMIT, "twice " + MockMerge.TWICE,
                "lost " + MockMerge.UNKNOWN_INDEX);

        JsonNode answers = answers(client.post("/v1/chat/completions", KEY, merged(prompts)));

        List<Integer> indexes = new ArrayList<>();
        answers.forEach(answer -> indexes.add(answer.get("index").asInt()));
        assertThat(indexes).containsExactly(0, 2, 2, 1007);
        assertThat(answers.get(0).get("answer").asText()).isEqualTo(MockAnswers.contentFor("keep"));
    }

    @Test
    void theNotJsonMarkerMakesTheWholeReplyPlainText() throws Exception {
        MockTestClient.Reply reply = client.post("/v1/chat/completions", KEY,
                merged(List.of("a", "b " + MockMerge.NOT_JSON)));

        assertThat(reply.json().path("choices").path(0).path("message").path("content").asText())
                .isEqualTo(MockMerge.NOT_JSON_REPLY);
    }

    @Test
    void aMarkedPromptSentAloneGetsItsUsualAnswer() throws Exception {
        String prompt = "drop " + MockMerge.OMIT;

        MockTestClient.Reply reply = client.chat(KEY, "gpt-4o-mini", prompt);

        assertThat(reply.json().path("choices").path(0).path("message").path("content").asText())
                .isEqualTo(MockAnswers.contentFor(prompt));
    }

    @Test
    void theDropRateLeavesOneAnswerOutOfThatShareOfReplies() throws Exception {
        for (int round = 0; round < 5; round++) {
            JsonNode answers = answers(droppingClient.post("/v1/chat/completions", KEY,
                    merged(List.of("a" + round, "b" + round, "c" + round, "d" + round))));
            assertThat(answers).as("round %d", round).hasSize(3);
        }
    }

    @Test
    void theReplyIsCutAtMaxTokensLikeAnyAnswer() throws Exception {
        ObjectNode body = merged(List.of("Name a colour.", "Name a fruit."));
        body.put("max_tokens", 5);

        JsonNode json = client.post("/v1/chat/completions", KEY, body).json();

        assertThat(json.path("choices").path(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(json.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void theDropRateFlagIsARate() {
        assertThat(MockOptions.parseArgs(List.of("--merge-drop-rate", "0.05")).mergeDropRate()).isEqualTo(0.05);
        assertThatThrownBy(() -> MockOptions.parseArgs(List.of("--merge-drop-rate", "5%")))
                .hasMessage("--merge-drop-rate must be a number between 0 and 1, was '5%'");
        assertThatThrownBy(() -> MockOptions.builder().mergeDropRate(1.5).build())
                .hasMessage("--merge-drop-rate must be between 0 and 1, was 1.5");
    }
}
