package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.llmstream.local.mock.MockBatchClient.CHAT;
import static io.llmstream.local.mock.MockBatchClient.KEY;
import static io.llmstream.local.mock.MockBatchClient.chatLine;
import static io.llmstream.local.mock.MockBatchesTest.counts;
import static io.llmstream.local.mock.MockBatchesTest.last;
import static org.assertj.core.api.Assertions.assertThat;

/** The Batch API's faults: expiry, the enqueued-token limit and the rate limit of its endpoints. */
class MockBatchFaultsTest {

    private static final Duration IN_PROGRESS = Duration.ofMillis(300);

    @Test
    void anExpiredBatchAnswersHalfItsLinesAndMarksTheRestExpired() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).batchInProgress(IN_PROGRESS)
                .batchExpireShare(1).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            List<ObjectNode> lines = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                lines.add(chatLine("x-" + i, "expiring prompt " + i));
            }

            JsonNode expired = last(batches.awaitEnd(batches.submit(lines, CHAT).get("id").asText()));

            assertThat(expired.get("status").asText()).isEqualTo("expired");
            assertThat(expired.get("expired_at").isNull()).isFalse();
            assertThat(expired.get("in_progress_at").isNull()).isFalse();
            assertThat(expired.get("completed_at").isNull()).isTrue();
            assertThat(expired.get("finalizing_at").isNull()).isTrue();
            assertThat(expired.get("request_counts")).isEqualTo(counts(6, 3, 3));
            Map<String, JsonNode> answered = batches.resultsById(expired.get("output_file_id").asText());
            Map<String, JsonNode> unanswered = batches.resultsById(expired.get("error_file_id").asText());
            assertThat(answered).hasSize(3);
            assertThat(unanswered).hasSize(3);
            Set<String> all = new HashSet<>(answered.keySet());
            all.addAll(unanswered.keySet());
            assertThat(all).containsExactlyInAnyOrder("x-0", "x-1", "x-2", "x-3", "x-4", "x-5");
            answered.forEach((id, result) -> assertThat(result.at("/response/body/choices/0/message/content").asText())
                    .isEqualTo(MockAnswers.contentFor("expiring prompt " + id.substring(2))));
            for (JsonNode result : unanswered.values()) {
                assertThat(result.get("response").isNull()).isTrue();
                assertThat(result.at("/error/code").asText()).isEqualTo("batch_expired");
                assertThat(result.at("/error/message").asText())
                        .isEqualTo("This request could not be executed before the completion window expired.");
            }
            MockStats.Batch stats = server.stats().batch();
            assertThat(stats.batchesByStatus()).isEqualTo(Map.of("expired", 1L));
            assertThat(stats.linesAnswered()).isEqualTo(3);
            assertThat(stats.linesFailed()).isEqualTo(3);
        }
    }

    @Test
    void aBatchBeyondTheEnqueuedTokensFailsAtOnceUntilOpenBatchesEnd() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).batchInProgress(IN_PROGRESS)
                .batchEnqueuedTokens(1500).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            ObjectNode holding = chatLine("hold", "[[mock:hang]] hold the queue");
            ((ObjectNode) holding.get("body")).put("max_tokens", 1000);
            ObjectNode next = chatLine("next", "the next batch");
            ((ObjectNode) next.get("body")).put("max_tokens", 1000);
            ObjectNode tooBig = chatLine("big", "too big alone");
            ((ObjectNode) tooBig.get("body")).put("max_tokens", 2000);

            JsonNode open = batches.submit(List.of(holding), CHAT);
            JsonNode refused = batches.submit(List.of(next), CHAT);
            JsonNode alone = batches.submit(List.of(tooBig), CHAT);

            assertThat(open.get("status").asText()).isEqualTo("validating");
            for (JsonNode failed : List.of(refused, alone)) {
                assertThat(failed.get("status").asText()).isEqualTo("failed");
                assertThat(failed.get("failed_at").asLong()).isEqualTo(failed.get("created_at").asLong());
                assertThat(failed.get("in_progress_at").isNull()).isTrue();
                assertThat(failed.get("request_counts")).isEqualTo(counts(0, 0, 0));
                JsonNode error = failed.at("/errors/data/0");
                assertThat(error.get("code").asText()).isEqualTo("token_limit_exceeded");
                assertThat(error.get("line").isNull()).isTrue();
                assertThat(error.get("message").asText())
                        .startsWith("Enqueued token limit reached for gpt-4o-mini in organization org-mock. Limit: 1500");
            }
            assertThat(batches.batch(refused.get("id").asText()).get("status").asText()).isEqualTo("failed");

            batches.cancel(open.get("id").asText());
            assertThat(last(batches.awaitEnd(open.get("id").asText())).get("status").asText()).isEqualTo("cancelled");
            JsonNode later = batches.submit(List.of(next), CHAT);

            assertThat(later.get("status").asText()).isEqualTo("validating");
            assertThat(last(batches.awaitEnd(later.get("id").asText())).get("status").asText()).isEqualTo("completed");
            assertThat(server.stats().batch().batchesByStatus())
                    .isEqualTo(Map.of("failed", 2L, "cancelled", 1L, "completed", 1L));
        }
    }

    @Test
    void theBatchRateLimitAnswers429WithRetryAfterPerKey() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).batchRpm(1).build())) {
            MockBatchClient batches = new MockBatchClient(server);
            MockTestClient client = batches.http();

            MockTestClient.Reply first = batches.upload("batch", "in.jsonl", chatLine("a", "hi") + "\n");
            MockTestClient.Reply second = client.get("/v1/batches", KEY);
            MockTestClient.Reply otherKey = client.get("/v1/batches", "sk-other");
            MockTestClient.Reply chat = client.chat(KEY, "gpt-4o-mini", "online requests have their own limits");

            assertThat(first.status()).isEqualTo(200);
            JsonNode error = second.assertOpenAiError(429, "requests", "rate_limit_exceeded");
            assertThat(error.get("message").asText()).startsWith("Rate limit reached for files and batches in"
                    + " organization org-mock on requests per min (RPM): Limit 1");
            assertThat(Long.parseLong(second.header("retry-after"))).isBetween(1L, 60L);
            assertThat(Long.parseLong(second.header("retry-after-ms"))).isBetween(1L, 60_000L);
            assertThat(otherKey.status()).isEqualTo(200);
            assertThat(chat.status()).isEqualTo(200);
            assertThat(server.stats().rateLimited()).isEqualTo(1);
            assertThat(server.stats().batch().filesUploaded()).isEqualTo(1);
        }
    }
}
