package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.llmstream.local.mock.MockBatchClient.CHAT;
import static io.llmstream.local.mock.MockBatchClient.KEY;
import static io.llmstream.local.mock.MockBatchClient.chatLine;
import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /v1/files} as the Batch API uses it, and the requests a batch cannot be created from. */
class MockFilesTest {

    @Test
    void uploadsReadsAndDeletesAFile() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            MockTestClient client = batches.http();
            String content = chatLine("a", "Grüße aus dem Batch") + "\n" + chatLine("b", "second") + "\n";

            MockTestClient.Reply uploaded = batches.upload("batch", "prompts.jsonl", content);
            String id = uploaded.json().get("id").asText();
            MockTestClient.Reply retrieved = client.get("/v1/files/" + id, KEY);
            MockTestClient.Reply bytes = client.get("/v1/files/" + id + "/content", KEY);
            MockTestClient.Reply deleted = client.send(client.request("/v1/files/" + id, KEY,
                    MockTestClient.DEFAULT_TIMEOUT).DELETE());

            assertThat(uploaded.status()).isEqualTo(200);
            JsonNode file = uploaded.json();
            assertThat(MockTestClient.fieldNames(file)).containsExactly("id", "object", "bytes", "created_at",
                    "filename", "purpose", "status", "status_details");
            assertThat(id).startsWith("file-");
            assertThat(file.get("object").asText()).isEqualTo("file");
            assertThat(file.get("bytes").asLong()).isEqualTo(content.getBytes(StandardCharsets.UTF_8)
                    .length);
            assertThat(file.get("filename").asText()).isEqualTo("prompts.jsonl");
            assertThat(file.get("purpose").asText()).isEqualTo("batch");
            assertThat(file.get("created_at").asLong()).isPositive();
            assertThat(retrieved.json()).isEqualTo(file);
            assertThat(bytes.status()).isEqualTo(200);
            assertThat(bytes.body()).isEqualTo(content);
            assertThat(deleted.json()).isEqualTo(JSON.createObjectNode().put("id", id).put("object", "file")
                    .put("deleted", true));
            client.get("/v1/files/" + id, KEY).assertOpenAiError(404, "invalid_request_error", null);
            client.get("/v1/files/" + id + "/content", KEY).assertOpenAiError(404, "invalid_request_error", null);
            assertThat(server.stats().batch().filesUploaded()).isEqualTo(1);
        }
    }

    @Test
    void refusesUploadsThatAreNotBatchFiles() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockBatchClient batches = new MockBatchClient(server);

            assertThat(batches.upload("fine-tune", "x.jsonl", "{}\n")
                    .assertOpenAiError(400, "invalid_request_error", "unsupported_value").get("param").asText())
                    .isEqualTo("purpose");
            assertThat(batches.upload(null, "x.jsonl", "{}\n")
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("purpose");
            assertThat(batches.upload("batch", null, null)
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText()).isEqualTo("file");
            assertThat(batches.http().postRaw("/v1/files", KEY, "{\"purpose\": \"batch\"}")
                    .assertOpenAiError(400, "invalid_request_error", null).get("message").asText())
                    .startsWith("The request must be multipart/form-data");
            batches.http().get("/v1/files", KEY).assertOpenAiError(405, "invalid_request_error", "method_not_allowed");
            assertThat(server.stats().batch().filesUploaded()).isZero();
        }
    }

    @Test
    void refusesBatchesOfUnknownFilesEndpointsAndWindows() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            String file = batches.uploadLines(List.of(chatLine("a", "hello")));
            ObjectNode oneHour = JSON.createObjectNode().put("input_file_id", file).put("endpoint", CHAT)
                    .put("completion_window", "1h");

            assertThat(batches.create("file-missing", CHAT, null)
                    .assertOpenAiError(400, "invalid_request_error", null).get("message").asText())
                    .isEqualTo("No such File object: file-missing");
            assertThat(batches.create(file, "/v1/completions", null)
                    .assertOpenAiError(400, "invalid_request_error", "unsupported_value").get("param").asText())
                    .isEqualTo("endpoint");
            assertThat(batches.http().post("/v1/batches", KEY, oneHour)
                    .assertOpenAiError(400, "invalid_request_error", null).get("param").asText())
                    .isEqualTo("completion_window");
            batches.http().get("/v1/batches/batch_missing", KEY).assertOpenAiError(404, "invalid_request_error", null);
            assertThat(server.stats().batch().batchesCreated()).isZero();
        }
    }
}
