package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.llmstream.local.mock.MockBatchClient.CHAT;
import static io.llmstream.local.mock.MockBatchClient.EMBEDDINGS;
import static io.llmstream.local.mock.MockBatchClient.KEY;
import static io.llmstream.local.mock.MockBatchClient.chatLine;
import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/** The Batch API's lifecycle over real sockets: completed, failed validation, error lines and cancellation. */
class MockBatchesTest {

    private static final List<String> LIFECYCLE = List.of("validating", "in_progress", "finalizing", "completed");

    private static MockLlmServer start() {
        return MockLlmServer.start(MockOptions.builder().port(0).batchInProgress(Duration.ofMillis(300)).build());
    }

    @Test
    void aCompletedBatchAnswersEveryLineAsTheOnlineRequestWouldInAnOrderOfItsOwn() throws Exception {
        try (MockLlmServer server = start()) {
            MockBatchClient batches = new MockBatchClient(server);
            List<ObjectNode> lines = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ObjectNode line = chatLine("req-" + i, "Batch prompt number " + i + ", answer briefly.");
                if (i % 2 == 0) {
                    ((ObjectNode) line.get("body")).put("max_tokens", 4);
                }
                lines.add(line);
                ids.add("req-" + i);
            }

            JsonNode created = batches.submit(lines, CHAT);

            assertThat(MockTestClient.fieldNames(created)).containsExactly("id", "object", "endpoint", "errors",
                    "input_file_id", "completion_window", "status", "output_file_id", "error_file_id", "created_at",
                    "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                    "cancelling_at", "cancelled_at", "request_counts", "metadata");
            assertThat(created.get("id").asText()).startsWith("batch_");
            assertThat(created.get("object").asText()).isEqualTo("batch");
            assertThat(created.get("endpoint").asText()).isEqualTo(CHAT);
            assertThat(created.get("status").asText()).isEqualTo("validating");
            assertThat(created.get("completion_window").asText()).isEqualTo("24h");
            assertThat(created.get("errors").isNull()).isTrue();
            assertThat(created.get("metadata").isNull()).isTrue();
            assertThat(created.get("expires_at").asLong()).isEqualTo(created.get("created_at").asLong() + 86_400);
            assertThat(created.get("request_counts")).isEqualTo(counts(0, 0, 0));

            List<JsonNode> seen = batches.awaitEnd(created.get("id").asText());
            JsonNode done = seen.get(seen.size() - 1);
            assertThat(done.get("status").asText()).isEqualTo("completed");
            int lastStep = 0;
            int lastCompleted = 0;
            for (JsonNode batch : seen) {
                int step = LIFECYCLE.indexOf(batch.get("status").asText());
                assertThat(step).as("status %s after %s", batch.get("status"), LIFECYCLE.get(lastStep))
                        .isGreaterThanOrEqualTo(lastStep);
                assertThat(batch.at("/request_counts/completed").asInt()).isGreaterThanOrEqualTo(lastCompleted);
                lastStep = step;
                lastCompleted = batch.at("/request_counts/completed").asInt();
            }
            assertThat(done.get("request_counts")).isEqualTo(counts(8, 8, 0));
            long createdAt = done.get("created_at").asLong();
            assertThat(done.get("in_progress_at").asLong()).isGreaterThanOrEqualTo(createdAt);
            assertThat(done.get("finalizing_at").asLong()).isGreaterThanOrEqualTo(done.get("in_progress_at").asLong());
            assertThat(done.get("completed_at").asLong()).isGreaterThanOrEqualTo(done.get("finalizing_at").asLong());
            for (String never : List.of("failed_at", "expired_at", "cancelling_at", "cancelled_at", "error_file_id")) {
                assertThat(done.get(never).isNull()).as(never).isTrue();
            }

            String outputId = done.get("output_file_id").asText();
            List<JsonNode> output = batches.fileLines(outputId);
            assertThat(output.stream().map(line -> line.get("custom_id").asText()).toList())
                    .containsExactlyInAnyOrderElementsOf(ids)
                    .isNotEqualTo(ids);
            Map<String, JsonNode> results = batches.resultsById(outputId);
            long promptTokens = 0;
            long completionTokens = 0;
            for (ObjectNode line : lines) {
                JsonNode result = results.get(line.get("custom_id").asText());
                assertThat(MockTestClient.fieldNames(result)).containsExactly("id", "custom_id", "response", "error");
                assertThat(result.get("id").asText()).startsWith("batch_req_");
                assertThat(result.get("error").isNull()).isTrue();
                assertThat(result.at("/response/status_code").asInt()).isEqualTo(200);
                assertThat(result.at("/response/request_id").asText()).startsWith("req_mock_");
                assertThat(result.at("/response/body/created").asLong())
                        .isBetween(done.get("in_progress_at").asLong(), done.get("finalizing_at").asLong());
                JsonNode online = batches.http().post(CHAT, KEY, line.get("body")).json();
                assertThat(withoutIdAndCreated(result.at("/response/body"))).isEqualTo(withoutIdAndCreated(online));
                promptTokens += result.at("/response/body/usage/prompt_tokens").asLong();
                completionTokens += result.at("/response/body/usage/completion_tokens").asLong();
            }
            assertThat(results.get("req-1").at("/response/body/choices/0/message/content").asText())
                    .isEqualTo(MockAnswers.contentFor("Batch prompt number 1, answer briefly."));
            assertThat(results.get("req-0").at("/response/body/choices/0/finish_reason").asText()).isEqualTo("length");

            JsonNode file = batches.http().get("/v1/files/" + outputId, KEY).json();
            assertThat(file.get("purpose").asText()).isEqualTo("batch_output");
            assertThat(file.get("filename").asText()).isEqualTo(done.get("id").asText() + "_output.jsonl");
            assertThat(file.get("bytes").asLong()).isEqualTo(
                    batches.http().get("/v1/files/" + outputId + "/content", KEY).body().getBytes().length);

            MockStats.Batch stats = server.stats().batch();
            assertThat(stats.filesUploaded()).isEqualTo(1);
            assertThat(stats.batchesCreated()).isEqualTo(1);
            assertThat(stats.batchesByStatus()).isEqualTo(Map.of("completed", 1L));
            assertThat(stats.linesSubmitted()).isEqualTo(8);
            assertThat(stats.linesAnswered()).isEqualTo(8);
            assertThat(stats.linesFailed()).isZero();
            assertThat(stats.promptTokens()).isEqualTo(promptTokens);
            assertThat(stats.completionTokens()).isEqualTo(completionTokens);
            JsonNode statsJson = batches.http().get("/mock/stats", null).json().get("batch");
            assertThat(statsJson.get("linesAnswered").asLong()).isEqualTo(8);
            assertThat(statsJson.at("/batchesByStatus/completed").asLong()).isEqualTo(1);
        }
    }

    @Test
    void anEmbeddingsBatchAnswersWithTheOnlineVectors() throws Exception {
        try (MockLlmServer server = start()) {
            MockBatchClient batches = new MockBatchClient(server);
            ObjectNode one = JSON.createObjectNode().put("model", "text-embedding-3-small").put("input", "first text");
            ObjectNode two = JSON.createObjectNode().put("model", "text-embedding-3-small").put("dimensions", 8);
            two.putArray("input").add("second text").add("third text");
            List<ObjectNode> lines = List.of(MockBatchClient.line("e-1", EMBEDDINGS, one),
                    MockBatchClient.line("e-2", EMBEDDINGS, two));

            JsonNode done = last(batches.awaitEnd(batches.submit(lines, EMBEDDINGS).get("id").asText()));

            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.get("request_counts")).isEqualTo(counts(2, 2, 0));
            Map<String, JsonNode> results = batches.resultsById(done.get("output_file_id").asText());
            assertThat(results.get("e-1").at("/response/body"))
                    .isEqualTo(batches.http().post(EMBEDDINGS, KEY, one).json());
            assertThat(results.get("e-2").at("/response/body"))
                    .isEqualTo(batches.http().post(EMBEDDINGS, KEY, two).json());
            assertThat(results.get("e-2").at("/response/body/data/1/embedding")).hasSize(8);
        }
    }

    @Test
    void aFileWithBadLinesFailsValidationNamingEachLine() throws Exception {
        try (MockLlmServer server = start()) {
            MockBatchClient batches = new MockBatchClient(server);
            ObjectNode getLine = chatLine("get", "hello");
            getLine.put("method", "GET");
            ObjectNode noModel = chatLine("no-model", "hello");
            ((ObjectNode) noModel.get("body")).remove("model");
            ObjectNode noId = chatLine("x", "hello");
            noId.remove("custom_id");
            String content = chatLine("a", "hello") + "\n"
                    + "this is not json\n"
                    + chatLine("a", "again") + "\n"
                    + getLine + "\n"
                    + MockBatchClient.line("embed", EMBEDDINGS, JSON.createObjectNode().put("model", "m")) + "\n"
                    + "\n"
                    + noModel + "\n"
                    + noId + "\n";
            MockTestClient.Reply uploaded = batches.upload("batch", "bad.jsonl", content);

            JsonNode created = batches.create(uploaded.json().get("id").asText(), CHAT, null).json();
            JsonNode failed = last(batches.awaitEnd(created.get("id").asText()));

            assertThat(created.get("status").asText()).isEqualTo("validating");
            assertThat(failed.get("status").asText()).isEqualTo("failed");
            assertThat(failed.at("/errors/object").asText()).isEqualTo("list");
            List<String> errors = new ArrayList<>();
            for (JsonNode error : failed.at("/errors/data")) {
                assertThat(MockTestClient.fieldNames(error)).containsExactly("code", "message", "param", "line");
                assertThat(error.get("message").asText()).containsIgnoringCase("line " + error.get("line").asInt());
                errors.add(error.get("line").asInt() + " " + error.get("code").asText() + " " + error.get("param"));
            }
            assertThat(errors).containsExactly(
                    "2 invalid_json_line null",
                    "3 duplicate_custom_id \"custom_id\"",
                    "4 invalid_request \"method\"",
                    "5 mismatched_endpoint \"url\"",
                    "7 invalid_request \"body.model\"",
                    "8 invalid_request \"custom_id\"");
            assertThat(failed.get("failed_at").isNull()).isFalse();
            assertThat(failed.get("in_progress_at").isNull()).isTrue();
            assertThat(failed.get("output_file_id").isNull()).isTrue();
            assertThat(failed.get("error_file_id").isNull()).isTrue();
            assertThat(failed.get("request_counts")).isEqualTo(counts(0, 0, 0));
            assertThat(server.stats().batch().batchesByStatus()).isEqualTo(Map.of("failed", 1L));
            assertThat(server.stats().batch().linesAnswered()).isZero();
        }
    }

    @Test
    void linesScriptedTo400And500GoToTheErrorFileAndSucceedInTheNextBatch() throws Exception {
        try (MockLlmServer server = start()) {
            MockBatchClient batches = new MockBatchClient(server);
            ObjectNode noMessages = MockBatchClient.line("no-messages", CHAT,
                    JSON.createObjectNode().put("model", "gpt-4o-mini"));
            List<ObjectNode> lines = List.of(chatLine("ok-1", "first"), chatLine("ok-2", "second"),
                    chatLine("bad-400", "[[mock:400]] third"), chatLine("bad-500", "[[mock:500]] fourth"), noMessages);

            JsonNode first = last(batches.awaitEnd(batches.submit(lines, CHAT).get("id").asText()));

            assertThat(first.get("status").asText()).isEqualTo("completed");
            assertThat(first.get("request_counts")).isEqualTo(counts(5, 2, 3));
            assertThat(batches.resultsById(first.get("output_file_id").asText())).containsOnlyKeys("ok-1", "ok-2");
            Map<String, JsonNode> errors = batches.resultsById(first.get("error_file_id").asText());
            assertThat(errors).containsOnlyKeys("bad-400", "bad-500", "no-messages");
            assertThat(errors.get("bad-400").at("/response/status_code").asInt()).isEqualTo(400);
            assertThat(errors.get("bad-400").at("/response/body/error/type").asText()).isEqualTo("invalid_request_error");
            assertThat(errors.get("bad-500").at("/response/status_code").asInt()).isEqualTo(500);
            assertThat(errors.get("bad-500").at("/response/body/error/type").asText()).isEqualTo("server_error");
            assertThat(errors.get("no-messages").at("/response/status_code").asInt()).isEqualTo(400);
            assertThat(errors.get("no-messages").at("/response/body/error/param").asText()).isEqualTo("messages");
            for (JsonNode error : errors.values()) {
                assertThat(error.get("error").isNull()).isTrue();
                assertThat(error.at("/response/request_id").asText()).startsWith("req_mock_");
            }

            JsonNode again = last(batches.awaitEnd(batches.submit(lines, CHAT).get("id").asText()));

            assertThat(again.get("request_counts")).isEqualTo(counts(5, 4, 1));
            assertThat(batches.resultsById(again.get("output_file_id").asText()).get("bad-500")
                    .at("/response/body/choices/0/message/content").asText())
                    .isEqualTo(MockAnswers.contentFor("[[mock:500]] fourth"));
            assertThat(batches.resultsById(again.get("error_file_id").asText())).containsOnlyKeys("no-messages");
            MockStats.Batch stats = server.stats().batch();
            assertThat(stats.linesSubmitted()).isEqualTo(10);
            assertThat(stats.linesAnswered()).isEqualTo(6);
            assertThat(stats.linesFailed()).isEqualTo(4);
        }
    }

    @Test
    void aCancelledBatchKeepsItsAnswersAndMarksTheRestCancelled() throws Exception {
        try (MockLlmServer server = start()) {
            MockBatchClient batches = new MockBatchClient(server);
            List<ObjectNode> lines = List.of(chatLine("c-1", "one"), chatLine("c-2", "two"), chatLine("c-3", "three"),
                    chatLine("c-4", "four"), chatLine("c-hang", "[[mock:hang]] never answered"));
            String id = batches.submit(lines, CHAT).get("id").asText();

            JsonNode running = batches.awaitCompleted(id, 4);
            MockTestClient.Reply cancelling = batches.cancel(id);
            JsonNode cancelled = last(batches.awaitEnd(id));

            assertThat(running.get("status").asText()).isEqualTo("in_progress");
            assertThat(running.get("request_counts")).isEqualTo(counts(5, 4, 0));
            assertThat(cancelling.status()).isEqualTo(200);
            assertThat(cancelling.json().get("status").asText()).isEqualTo("cancelling");
            assertThat(cancelling.json().get("cancelling_at").isNull()).isFalse();
            assertThat(cancelling.json().get("cancelled_at").isNull()).isTrue();
            assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
            assertThat(cancelled.get("cancelled_at").asLong()).isGreaterThanOrEqualTo(
                    cancelled.get("cancelling_at").asLong());
            assertThat(cancelled.get("completed_at").isNull()).isTrue();
            assertThat(cancelled.get("request_counts")).isEqualTo(counts(5, 4, 1));
            assertThat(batches.resultsById(cancelled.get("output_file_id").asText()))
                    .containsOnlyKeys("c-1", "c-2", "c-3", "c-4");
            JsonNode unanswered = batches.resultsById(cancelled.get("error_file_id").asText()).get("c-hang");
            assertThat(unanswered.get("response").isNull()).isTrue();
            assertThat(unanswered.at("/error/code").asText()).isEqualTo("batch_cancelled");

            MockTestClient.Reply twice = batches.cancel(id);
            assertThat(twice.status()).isEqualTo(200);
            assertThat(twice.json().get("status").asText()).isEqualTo("cancelled");
            String finished = last(batches.awaitEnd(batches.submit(List.of(chatLine("d", "done")), CHAT)
                    .get("id").asText())).get("id").asText();
            batches.cancel(finished).assertOpenAiError(409, "invalid_request_error", null);
            assertThat(batches.cancel(finished).error().get("message").asText())
                    .isEqualTo("Cannot cancel a batch with status 'completed'.");
            batches.cancel("batch_unknown").assertOpenAiError(404, "invalid_request_error", null);
            MockStats.Batch stats = server.stats().batch();
            assertThat(stats.batchesByStatus()).isEqualTo(Map.of("cancelled", 1L, "completed", 1L));
            assertThat(stats.linesFailed()).isEqualTo(1);
        }
    }

    static ObjectNode counts(int total, int completed, int failed) {
        return JSON.createObjectNode().put("total", total).put("completed", completed).put("failed", failed);
    }

    static JsonNode last(List<JsonNode> seen) {
        return seen.get(seen.size() - 1);
    }

    private static JsonNode withoutIdAndCreated(JsonNode completion) {
        ObjectNode copy = completion.deepCopy();
        copy.remove("id");
        copy.remove("created");
        return copy;
    }
}
