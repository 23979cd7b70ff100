package io.llmstream.local.mock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static io.llmstream.local.mock.MockTestClient.chatBody;
import static org.assertj.core.api.Assertions.assertThat;

/** Keys: Bearer and Azure headers, accepted, unknown and revoked keys, and no key in any output. */
class MockAuthTest {

    private static final String GOOD = "sk-good-0123456789";
    private static final String REVOKED = "sk-revoked-0123456789";
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0)
                .apiKeys(List.of(GOOD, REVOKED)).revokedKeys(List.of(REVOKED)).build());
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void missingKeyIs401() throws Exception {
        MockTestClient.Reply reply = client.chat(null, "gpt-4o", "hi");

        reply.assertOpenAiError(401, "invalid_request_error", null);
        assertThat(reply.error().get("message").asText()).startsWith("You didn't provide an API key.");
        assertThat(client.get("/v1/models", null).status()).isEqualTo(401);
    }

    @Test
    void unknownKeyIs401InvalidApiKeyNamedByFingerprint() throws Exception {
        MockTestClient.Reply reply = client.chat("sk-stolen", "gpt-4o", "hi");

        reply.assertOpenAiError(401, "invalid_request_error", "invalid_api_key");
        assertThat(reply.body()).doesNotContain("sk-stolen").contains(MockLlmServer.keyFingerprint("sk-stolen"));
    }

    @Test
    void revokedKeyIs401EvenWhenListedAsAccepted() throws Exception {
        MockTestClient.Reply reply = client.chat(REVOKED, "gpt-4o", "hi");

        reply.assertOpenAiError(401, "invalid_request_error", "invalid_api_key");
        assertThat(reply.error().get("message").asText())
                .isEqualTo("The API key " + MockLlmServer.keyFingerprint(REVOKED) + " has been revoked.");
    }

    @Test
    void acceptsBearerAndAzureApiKeyHeaders() throws Exception {
        assertThat(client.chat(GOOD, "gpt-4o", "hi").status()).isEqualTo(200);

        MockTestClient.Reply azure = client.send(client.request("/v1/chat/completions", null,
                        MockTestClient.DEFAULT_TIMEOUT)
                .header("api-key", GOOD)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o", "hi").toString())));
        assertThat(azure.status()).isEqualTo(200);
    }

    @Test
    void statsNameKeysByTheFirstEightHexOfTheirSha256() throws Exception {
        client.chat(GOOD, "gpt-4o", "count me");
        String expected = "key-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(GOOD.getBytes(StandardCharsets.UTF_8))).substring(0, 8);

        assertThat(MockLlmServer.keyFingerprint(GOOD)).isEqualTo(expected);
        assertThat(server.stats().byKeyModel()).containsKey(expected + "@gpt-4o");
        assertThat(server.stats().keyModel(GOOD, "gpt-4o").keyFingerprint()).isEqualTo(expected);
        String json = client.get("/mock/stats", null).body();
        assertThat(json).contains(expected).doesNotContain(GOOD).doesNotContain(REVOKED);
        assertThat(server.stats().toString()).doesNotContain(GOOD);
    }

    @Test
    void anyNonEmptyKeyIsAcceptedWhenNoneAreConfigured() throws Exception {
        try (MockLlmServer open = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockTestClient openClient = new MockTestClient(open);

            assertThat(openClient.chat("anything", "any-model", "hi").status()).isEqualTo(200);
            assertThat(openClient.chat(null, "any-model", "hi").status()).isEqualTo(401);
        }
    }
}
