package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.llmstream.local.mock.MockBatchClient.CHAT;
import static io.llmstream.local.mock.MockBatchClient.KEY;
import static io.llmstream.local.mock.MockBatchClient.chatLine;
import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /v1/batches}: newest first, paged with {@code limit} and {@code after}, metadata exactly as sent. */
class MockBatchListTest {

    @Test
    void listsNewestFirstInPagesWithTheMetadataAsSent() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0)
                .batchInProgress(Duration.ofMillis(200)).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            String file = batches.uploadLines(List.of(chatLine("only", "list me")));
            List<String> ids = new ArrayList<>();
            List<JsonNode> metadata = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ObjectNode sent = i == 2 ? null
                        : JSON.createObjectNode().put("job", "llmstream-test").put("part", String.valueOf(i))
                                .put("note", i == 4 ? "Grüße, \"quoted\" and empty next" : "").put("empty", "");
                MockTestClient.Reply created = batches.create(file, CHAT, sent);
                assertThat(created.status()).as(created.body()).isEqualTo(200);
                ids.add(0, created.json().get("id").asText());
                metadata.add(0, sent);
            }

            JsonNode page1 = batches.http().get("/v1/batches?limit=2", KEY).json();
            JsonNode page2 = batches.http().get("/v1/batches?limit=2&after=" + page1.get("last_id").asText(), KEY).json();
            JsonNode page3 = batches.http().get("/v1/batches?limit=2&after=" + page2.get("last_id").asText(), KEY).json();
            JsonNode all = batches.http().get("/v1/batches", KEY).json();

            assertThat(MockTestClient.fieldNames(page1)).containsExactly("object", "data", "first_id", "last_id",
                    "has_more");
            assertThat(page1.get("object").asText()).isEqualTo("list");
            assertThat(idsOf(page1)).containsExactly(ids.get(0), ids.get(1));
            assertThat(page1.get("first_id").asText()).isEqualTo(ids.get(0));
            assertThat(page1.get("last_id").asText()).isEqualTo(ids.get(1));
            assertThat(page1.get("has_more").asBoolean()).isTrue();
            assertThat(idsOf(page2)).containsExactly(ids.get(2), ids.get(3));
            assertThat(page2.get("has_more").asBoolean()).isTrue();
            assertThat(idsOf(page3)).containsExactly(ids.get(4));
            assertThat(page3.get("has_more").asBoolean()).isFalse();
            assertThat(idsOf(all)).isEqualTo(ids);
            assertThat(all.get("has_more").asBoolean()).isFalse();
            for (int i = 0; i < ids.size(); i++) {
                JsonNode listed = all.get("data").get(i).get("metadata");
                if (metadata.get(i) == null) {
                    assertThat(listed.isNull()).isTrue();
                } else {
                    assertThat(listed).isEqualTo(metadata.get(i));
                    assertThat(listed.toString()).isEqualTo(metadata.get(i).toString());
                }
                assertThat(batches.batch(ids.get(i)).get("metadata")).isEqualTo(all.get("data").get(i).get("metadata"));
            }
        }
    }

    @Test
    void anEmptyListHasNoFirstOrLastId() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            JsonNode empty = new MockTestClient(server).get("/v1/batches", KEY).json();

            assertThat(empty.get("data")).isEmpty();
            assertThat(empty.get("first_id").isNull()).isTrue();
            assertThat(empty.get("last_id").isNull()).isTrue();
            assertThat(empty.get("has_more").asBoolean()).isFalse();
        }
    }

    @Test
    void refusesBadLimitsCursorsAndMetadata() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            MockTestClient client = batches.http();
            String file = batches.uploadLines(List.of(chatLine("only", "refuse me")));
            ObjectNode tooMany = JSON.createObjectNode();
            for (int i = 0; i < 17; i++) {
                tooMany.put("k" + i, "v");
            }

            assertThat(client.get("/v1/batches?limit=0", KEY)
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("limit");
            assertThat(client.get("/v1/batches?limit=abc", KEY)
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("limit");
            assertThat(client.get("/v1/batches?after=batch_nope", KEY)
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("after");
            assertThat(batches.create(file, CHAT, JSON.createObjectNode().put("n", 1))
                    .assertOpenAiError(400, "invalid_request_error", null).get("message").asText())
                    .isEqualTo("Invalid 'metadata': the value of 'n' must be a string of at most 512 characters.");
            assertThat(batches.create(file, CHAT, tooMany)
                    .assertOpenAiError(400, "invalid_request_error", null).get("message").asText())
                    .isEqualTo("Invalid 'metadata': at most 16 pairs, was 17.");
            assertThat(server.stats().batch().batchesCreated()).isZero();
        }
    }

    private static List<String> idsOf(JsonNode list) {
        List<String> ids = new ArrayList<>();
        for (JsonNode batch : list.get("data")) {
            ids.add(batch.get("id").asText());
        }
        return ids;
    }
}
