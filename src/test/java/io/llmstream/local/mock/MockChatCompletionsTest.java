package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static io.llmstream.local.mock.MockTestClient.chatBody;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /v1/chat/completions} over a real socket: answers, usage, cuts and validation. */
class MockChatCompletionsTest {

    private static final String KEY = "sk-test";
    private static final TokenEstimator O200K = TokenEstimator.forEncoding("o200k_base");
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0)
                .models("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
                .contextWindow("gpt-4o-mini", 60)
                .build());
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void answersDeterministicallyWithOpenAiUsage() throws Exception {
        ObjectNode body = chatBody("gpt-4o", "What is the capital of France?");
        body.withArray("messages").insertObject(0).put("role", "system").put("content", "Be brief.");

        MockTestClient.Reply reply = client.post("/v1/chat/completions", KEY, body);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).isEqualTo("application/json");
        JsonNode json = reply.json();
        String content = MockAnswers.contentFor("What is the capital of France?");
        assertThat(json.get("id").asText()).startsWith("chatcmpl-");
        assertThat(json.get("object").asText()).isEqualTo("chat.completion");
        assertThat(json.get("created").asLong()).isCloseTo(Instant.now().getEpochSecond(),
                org.assertj.core.data.Offset.offset(5L));
        assertThat(json.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(json.get("choices")).hasSize(1);
        JsonNode choice = json.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
        assertThat(choice.at("/message/content").asText()).isEqualTo(content);
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        int prompt = O200K.estimatePrompt(body);
        int completion = O200K.countText(content);
        assertThat(json.at("/usage/prompt_tokens").asInt()).isEqualTo(prompt);
        assertThat(json.at("/usage/completion_tokens").asInt()).isEqualTo(completion);
        assertThat(json.at("/usage/total_tokens").asInt()).isEqualTo(prompt + completion);
    }

    @Test
    void answersTheLastUserMessageIncludingTextParts() throws Exception {
        ObjectNode body = chatBody("gpt-4o", "first question");
        body.withArray("messages").addObject().put("role", "assistant").put("content", "an answer");
        ObjectNode last = body.withArray("messages").addObject().put("role", "user");
        last.putArray("content").addObject().put("type", "text").put("text", "second question");

        MockTestClient.Reply reply = client.post("/v1/chat/completions", KEY, body);

        assertThat(reply.json().at("/choices/0/message/content").asText())
                .isEqualTo(MockAnswers.contentFor("second question"));
    }

    @Test
    void cutsTheAnswerAtMaxTokensWithFinishReasonLength() throws Exception {
        String text = "Please write a long story about a dragon who learns to bake bread.";
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            ObjectNode body = chatBody("gpt-4o", text);
            body.put(field, 4);

            JsonNode json = client.post("/v1/chat/completions", KEY, body).json();

            assertThat(json.at("/choices/0/message/content").asText()).isEqualTo(MockAnswers.contentFor(text, 4));
            assertThat(json.at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(json.at("/usage/completion_tokens").asInt()).isEqualTo(4);
        }
    }

    @Test
    void refusesSeveralChoices() throws Exception {
        ObjectNode two = chatBody("gpt-4o", "hi").put("n", 2);
        JsonNode error = client.post("/v1/chat/completions", KEY, two)
                .assertOpenAiError(400, "invalid_request_error", "unsupported_value");
        assertThat(error.get("param").asText()).isEqualTo("n");
        assertThat(error.get("message").asText()).isEqualTo("mock-llm supports only n=1, was 2");

        assertThat(client.post("/v1/chat/completions", KEY, chatBody("gpt-4o", "hi").put("n", 1)).status())
                .isEqualTo(200);
    }

    @Test
    void refusesInvalidBodiesWithTheParamAtFault() throws Exception {
        JsonNode notJson = client.postRaw("/v1/chat/completions", KEY, "{\"model\": ")
                .assertOpenAiError(400, "invalid_request_error", null);
        assertThat(notJson.get("message").asText()).startsWith("We could not parse the JSON body of your request");

        ObjectNode noModel = chatBody("gpt-4o", "hi");
        noModel.remove("model");
        assertThat(client.post("/v1/chat/completions", KEY, noModel)
                .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("model");

        ObjectNode noMessages = JSON.createObjectNode().put("model", "gpt-4o");
        noMessages.putArray("messages");
        assertThat(client.post("/v1/chat/completions", KEY, noMessages)
                .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("messages");

        ObjectNode zeroTokens = chatBody("gpt-4o", "hi").put("max_tokens", 0);
        JsonNode error = client.post("/v1/chat/completions", KEY, zeroTokens)
                .assertOpenAiError(400, "invalid_request_error", null);
        assertThat(error.get("param").asText()).isEqualTo("max_tokens");
        assertThat(error.get("message").asText()).isEqualTo("'max_tokens' must be an integer >= 1, was 0");
    }

    @Test
    void unknownModelIs404WhenModelsAreConfigured() throws Exception {
        JsonNode error = client.chat(KEY, "gpt-9", "hi").assertOpenAiError(404, "invalid_request_error",
                "model_not_found");

        assertThat(error.get("param").asText()).isEqualTo("model");
        assertThat(error.get("message").asText())
                .isEqualTo("The model `gpt-9` does not exist or you do not have access to it.");
    }

    @Test
    void refusesPromptPlusMaxTokensAboveTheContextWindow() throws Exception {
        ObjectNode body = chatBody("gpt-4o-mini", "hi").put("max_tokens", 100);
        int prompt = O200K.estimatePrompt(body);

        JsonNode error = client.post("/v1/chat/completions", KEY, body)
                .assertOpenAiError(400, "invalid_request_error", "context_length_exceeded");

        assertThat(error.get("message").asText()).isEqualTo("This model's maximum context length is 60 tokens."
                + " However, you requested " + (prompt + 100) + " tokens (" + prompt + " in the messages, 100 in the"
                + " completion). Please reduce the length of the messages or completion.");
        assertThat(client.post("/v1/chat/completions", KEY, body.put("max_tokens", 40)).status()).isEqualTo(200);
    }

    @Test
    void listsTheConfiguredModels() throws Exception {
        JsonNode list = client.get("/v1/models", KEY).json();

        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.get("data").findValuesAsText("id")).containsExactly("gpt-4o", "gpt-4o-mini",
                "text-embedding-3-small");
        assertThat(list.at("/data/0/object").asText()).isEqualTo("model");
        assertThat(client.get("/v1/models/gpt-4o", KEY).json().get("id").asText()).isEqualTo("gpt-4o");
        client.get("/v1/models/gpt-9", KEY).assertOpenAiError(404, "invalid_request_error", "model_not_found");
    }

    @Test
    void embedsDeterministicallyWithUsage() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "text-embedding-3-small");
        body.putArray("input").add("apple pie").add("banana");

        JsonNode json = client.post("/v1/embeddings", KEY, body).json();

        assertThat(json.get("object").asText()).isEqualTo("list");
        assertThat(json.get("data")).hasSize(2);
        assertThat(json.at("/data/1/index").asInt()).isEqualTo(1);
        assertThat(floats(json.at("/data/0/embedding"))).containsExactly(MockAnswers.embeddingFor("apple pie", 16));
        assertThat(floats(json.at("/data/1/embedding"))).containsExactly(MockAnswers.embeddingFor("banana", 16));
        int tokens = O200K.countText("apple pie") + O200K.countText("banana");
        assertThat(json.at("/usage/prompt_tokens").asInt()).isEqualTo(tokens);
        assertThat(json.at("/usage/total_tokens").asInt()).isEqualTo(tokens);

        ObjectNode base64 = JSON.createObjectNode().put("model", "text-embedding-3-small").put("input", "apple pie")
                .put("dimensions", 4).put("encoding_format", "base64");
        byte[] raw = java.util.Base64.getDecoder()
                .decode(client.post("/v1/embeddings", KEY, base64).json().at("/data/0/embedding").asText());
        java.nio.FloatBuffer decoded = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] vector = new float[decoded.remaining()];
        decoded.get(vector);
        assertThat(vector).containsExactly(MockAnswers.embeddingFor("apple pie", 4));
    }

    @Test
    void statsCountRequestsStatusesAndTokensAndResetZeroesThem() throws Exception {
        server.resetStats();
        MockTestClient.Reply ok = client.chat(KEY, "gpt-4o", "count me");
        client.chat(KEY, "gpt-9", "not served");

        MockStats stats = server.stats();
        assertThat(stats.requests()).isEqualTo(2);
        assertThat(stats.status(200)).isEqualTo(1);
        assertThat(stats.status(404)).isEqualTo(1);
        assertThat(stats.promptTokens()).isEqualTo(ok.json().at("/usage/prompt_tokens").asLong());
        assertThat(stats.completionTokens()).isEqualTo(ok.json().at("/usage/completion_tokens").asLong());
        MockStats.KeyModel keyModel = stats.keyModel(KEY, "gpt-4o");
        assertThat(keyModel.requests()).isEqualTo(1);
        assertThat(keyModel.admitted()).isEqualTo(1);
        assertThat(keyModel.tokens()).isEqualTo(ok.json().at("/usage/total_tokens").asLong());
        assertThat(keyModel.peakRequests1s()).isEqualTo(1);

        JsonNode json = client.get("/mock/stats", null).json();
        assertThat(JSON.treeToValue(json, MockStats.class)).isEqualTo(stats);
        assertThat(json.at("/responsesByStatus/200").asLong()).isEqualTo(1);
        assertThat(client.postRaw("/mock/reset", null, "").status()).isEqualTo(200);
        assertThat(server.stats().requests()).isZero();
        assertThat(server.stats().byKeyModel()).isEmpty();
    }

    @Test
    void unknownPathsAndMethodsGetOpenAiErrors() throws Exception {
        client.postRaw("/v1/completions-nope", KEY, "{}").assertOpenAiError(404, "invalid_request_error",
                "unknown_url");
        client.get("/v1/chat/completions", KEY).assertOpenAiError(405, "invalid_request_error", "method_not_allowed");
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }
}
