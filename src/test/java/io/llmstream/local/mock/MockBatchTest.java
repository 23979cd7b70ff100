package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.llmstream.local.mock.MockBatchesTest.counts;
import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One batch's lifecycle on a clock the test sets: every state, count and timestamp at known moments, without
 * a server and without waiting.
 */
class MockBatchTest {

    /** The wall time of clock reading 0, in Unix seconds. */
    private static final long EPOCH = 1_700_000_000L;
    private static final long SECOND = 1_000_000_000L;
    /** 10 s in progress, so validating and finalizing take 1 s each. */
    private static final MockOptions.BatchOptions OPTIONS =
            new MockOptions.BatchOptions(Duration.ofSeconds(10), 0, 0, 0);

    private final AtomicLong now = new AtomicLong();
    private final MockBatchClock clock = new MockBatchClock(now::get, EPOCH * 1000);
    private final Recorder sink = new Recorder();

    /** Answers a line with its custom id; {@code late-N} N seconds late, {@code never} not at all. */
    private static final MockBatch.Answerer ANSWERER = (line, requestId, atNanos) -> {
        if (line.customId().equals("never")) {
            return MockBatchAnswer.never();
        }
        long delayMs = line.customId().startsWith("late-") ? Long.parseLong(line.customId().substring(5)) * 1000 : 0;
        return MockBatchAnswer.ok(JSON.createObjectNode().put("echo", line.customId()), 3, 2, delayMs);
    };

    @Test
    void countsGrowEvenlyWhileInProgressAndEveryStepHasItsTime() {
        MockBatch batch = batch(false, ids(10));

        assertThat(at(SECOND / 2, batch).get("status").asText()).isEqualTo("validating");
        JsonNode started = at(SECOND, batch);
        JsonNode half = at(6 * SECOND, batch);
        JsonNode finalizing = at(11 * SECOND, batch);
        JsonNode completed = at(12 * SECOND, batch);

        assertThat(started.get("status").asText()).isEqualTo("in_progress");
        assertThat(started.get("in_progress_at").asLong()).isEqualTo(EPOCH + 1);
        assertThat(started.get("request_counts")).isEqualTo(counts(10, 0, 0));
        assertThat(half.get("request_counts")).isEqualTo(counts(10, 5, 0));
        assertThat(finalizing.get("status").asText()).isEqualTo("finalizing");
        assertThat(finalizing.get("finalizing_at").asLong()).isEqualTo(EPOCH + 11);
        assertThat(finalizing.get("request_counts")).isEqualTo(counts(10, 10, 0));
        assertThat(finalizing.get("output_file_id").isNull()).isTrue();
        assertThat(completed.get("status").asText()).isEqualTo("completed");
        assertThat(completed.get("created_at").asLong()).isEqualTo(EPOCH);
        assertThat(completed.get("completed_at").asLong()).isEqualTo(EPOCH + 12);
        assertThat(completed.get("expires_at").asLong()).isEqualTo(EPOCH + 86_400);
        List<JsonNode> output = sink.lines(completed.get("output_file_id").asText());
        assertThat(output).hasSize(10);
        assertThat(output.stream().map(line -> line.get("custom_id").asText()).toList())
                .containsExactlyInAnyOrderElementsOf(ids(10)).isNotEqualTo(ids(10));
        assertThat(output.get(0).at("/response/body/echo").asText()).isEqualTo(output.get(0).get("custom_id").asText());
        assertThat(completed.get("error_file_id").isNull()).isTrue();
        assertThat(sink.ended).containsExactly("completed");
        assertThat(sink.answered).isEqualTo(10);
    }

    @Test
    void aLateLineDelaysFinalizingUntilItIsAnswered() {
        MockBatch batch = batch(false, List.of("a", "late-30", "b"));

        JsonNode waiting = at(20 * SECOND, batch);
        JsonNode done = at(50 * SECOND, batch);

        assertThat(waiting.get("status").asText()).isEqualTo("in_progress");
        assertThat(waiting.get("request_counts")).isEqualTo(counts(3, 2, 0));
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("request_counts")).isEqualTo(counts(3, 3, 0));
        // The late line's turn came between 4.3 s and 11 s, its answer 30 s later.
        assertThat(done.get("finalizing_at").asLong()).isBetween(EPOCH + 34, EPOCH + 41);
        assertThat(done.get("completed_at").asLong()).isEqualTo(done.get("finalizing_at").asLong() + 1);
    }

    @Test
    void aLineNeverAnsweredKeepsTheBatchInProgressUntilItIsCancelled() {
        MockBatch batch = batch(false, List.of("a", "never", "b", "c"));

        JsonNode stuck = at(3600 * SECOND, batch);
        now.set(3601 * SECOND);
        boolean cancelled = batch.cancel(now.get(), ANSWERER, sink);
        JsonNode cancelling = batch.object(clock);
        JsonNode ended = at(3602 * SECOND, batch);

        assertThat(stuck.get("status").asText()).isEqualTo("in_progress");
        assertThat(stuck.get("request_counts")).isEqualTo(counts(4, 3, 0));
        assertThat(cancelled).isTrue();
        assertThat(cancelling.get("status").asText()).isEqualTo("cancelling");
        assertThat(cancelling.get("cancelling_at").asLong()).isEqualTo(EPOCH + 3601);
        assertThat(ended.get("status").asText()).isEqualTo("cancelled");
        assertThat(ended.get("cancelled_at").asLong()).isEqualTo(EPOCH + 3602);
        assertThat(ended.get("request_counts")).isEqualTo(counts(4, 3, 1));
        assertThat(sink.lines(ended.get("output_file_id").asText())).hasSize(3);
        List<JsonNode> errors = sink.lines(ended.get("error_file_id").asText());
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).get("custom_id").asText()).isEqualTo("never");
        assertThat(errors.get(0).at("/error/code").asText()).isEqualTo("batch_cancelled");
        assertThat(batch.cancel(3700 * SECOND, ANSWERER, sink)).isTrue();
        assertThat(sink.ended).containsExactly("cancelled");
    }

    @Test
    void anExpiringBatchStopsHalfwayAndExpiresAtTheEndOfItsTime() {
        MockBatch batch = batch(true, ids(6));

        JsonNode stalled = at(10 * SECOND, batch);
        JsonNode expired = at(11 * SECOND, batch);

        assertThat(stalled.get("status").asText()).isEqualTo("in_progress");
        assertThat(stalled.get("request_counts")).isEqualTo(counts(6, 3, 0));
        assertThat(expired.get("status").asText()).isEqualTo("expired");
        assertThat(expired.get("expired_at").asLong()).isEqualTo(EPOCH + 11);
        assertThat(expired.get("request_counts")).isEqualTo(counts(6, 3, 3));
        assertThat(sink.lines(expired.get("error_file_id").asText()))
                .allSatisfy(line -> assertThat(line.at("/error/code").asText()).isEqualTo("batch_expired"))
                .hasSize(3);
        assertThat(batch.cancel(12 * SECOND, ANSWERER, sink)).isFalse();
        assertThat(sink.ended).containsExactly("expired");
    }

    private JsonNode at(long nanos, MockBatch batch) {
        now.set(nanos);
        batch.advance(nanos, ANSWERER, sink);
        return batch.object(clock);
    }

    private static List<String> ids(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add("id-" + i);
        }
        return ids;
    }

    private MockBatch batch(boolean expires, List<String> customIds) {
        StringBuilder file = new StringBuilder();
        for (String id : customIds) {
            file.append(MockBatchClient.chatLine(id, "prompt of " + id)).append('\n');
        }
        MockBatchInput.Parsed input = MockBatchInput.parse(file.toString().getBytes(StandardCharsets.UTF_8),
                MockBatchInput.CHAT, JSON, model -> TokenEstimator.forEncoding(MockOptions.DEFAULT_ENCODING));
        assertThat(input.errors()).isEmpty();
        return new MockBatch(JSON, "batch_test", 0, MockBatchInput.CHAT, "file-test", null, 0, OPTIONS, expires,
                input, 1);
    }

    /** Keeps the files a batch writes and counts what it reports. */
    private static final class Recorder implements MockBatch.Sink {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final List<String> ended = new ArrayList<>();
        int answered;
        private int requests;

        @Override
        public MockFiles.StoredFile write(String filename, byte[] content, long createdAtNanos) {
            MockFiles.StoredFile file = new MockFiles.StoredFile("file-" + files.size(), filename,
                    MockFiles.PURPOSE_BATCH_OUTPUT, 0, content);
            files.put(file.id(), content);
            return file;
        }

        @Override
        public String nextRequestId() {
            return "req_test_" + ++requests;
        }

        @Override
        public void answered(MockBatchAnswer answer) {
            answered++;
        }

        @Override
        public void lineFailed() {
        }

        @Override
        public void ended(MockBatch.Status status) {
            ended.add(status.apiName());
        }

        List<JsonNode> lines(String fileId) {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : new String(files.get(fileId), StandardCharsets.UTF_8).split("\n")) {
                try {
                    lines.add(JSON.readTree(line));
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return lines;
        }
    }
}
