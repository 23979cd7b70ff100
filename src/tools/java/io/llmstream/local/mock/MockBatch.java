package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * One batch and its lifecycle, played by the clock: {@code validating} for a tenth of {@code --batch-seconds},
 * then {@code failed} (line errors) or {@code in_progress}, its lines answered one by one in a shuffled order,
 * evenly over {@code --batch-seconds}, then {@code finalizing} for a tenth and {@code completed}. A batch drawn to
 * expire stops after half its lines and goes {@code expired} at the end of its time; a cancelled one goes
 * {@code cancelling} and, a tenth later, {@code cancelled}. The output and error files are written when the batch
 * ends.
 *
 * <p>Nothing runs in the background: {@link #advance} brings the batch to a moment, playing every event due by
 * then at its own time, so the timestamps are those of a batch that ran on its own whenever it is looked at.
 * Not thread-safe; {@link MockBatches} calls it under its lock.
 */
final class MockBatch {

    enum Status {
        VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

        /** The API's name: {@code in_progress}, {@code completed}, ... */
        String apiName() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean terminal() {
            return this == FAILED || this == COMPLETED || this == EXPIRED || this == CANCELLED;
        }
    }

    /** OpenAI's completion window, the only one it accepts; {@code expires_at} is 24 h after creation. */
    static final String COMPLETION_WINDOW = "24h";
    private static final long WINDOW_SECONDS = 24 * 3600;
    /** A moment that has not come: the nano clock may read 0 or less, so 0 cannot mean "not yet". */
    private static final long NOT_YET = Long.MIN_VALUE;

    /**
     * What answers a line: {@link MockChat#batchAnswer} or {@link MockEmbeddings#batchAnswer} behind the endpoint,
     * as of {@code atNanos}, the moment its turn came (which may lie before the request that plays it).
     */
    interface Answerer {
        MockBatchAnswer answer(MockBatchInput.Line line, String requestId, long atNanos);
    }

    /** Where a batch's work shows: the files it writes and the counters it moves. */
    interface Sink {
        MockFiles.StoredFile write(String filename, byte[] content, long createdAtNanos);

        String nextRequestId();

        void answered(MockBatchAnswer answer);

        void lineFailed();

        void ended(Status status);
    }

    /** A line that has had its turn: its answer, when it comes (nanos) or {@link Long#MAX_VALUE} for never. */
    private record Turn(MockBatchInput.Line line, MockBatchAnswer answer, String requestId, long dueNanos) {}

    /** A line's entry in the output or error file, and when it was written. */
    private record Result(ObjectNode json, boolean ok, long atNanos) {}

    private final ObjectMapper json;
    private final String id;
    private final long sequence;
    private final String endpoint;
    private final String inputFileId;
    private final JsonNode metadata;
    private final long createdNanos;
    private final long stepNanos;
    private final long inProgressNanos;
    private final boolean expires;
    /** The valid lines in the order they are answered. */
    private final List<MockBatchInput.Line> lines;
    private final List<MockBatchInput.LineError> errors;
    private final Map<String, Long> tokensByModel = new HashMap<>();

    private Status status = Status.VALIDATING;
    private long inProgressAt = NOT_YET;
    private long finalizingAt = NOT_YET;
    private long completedAt = NOT_YET;
    private long failedAt = NOT_YET;
    private long expiredAt = NOT_YET;
    private long cancellingAt = NOT_YET;
    private long cancelledAt = NOT_YET;
    private int nextTurn;
    private final List<Turn> waiting = new ArrayList<>();
    private final List<Result> results = new ArrayList<>();
    private int completed;
    private int failed;
    private String outputFileId;
    private String errorFileId;

    /**
     * A new batch, {@code validating} from {@code createdNanos}; with {@code errors} it will fail when validation
     * ends.
     *
     * @param sequence the batch's place in creation order, which also seeds the shuffle of its lines
     */
    MockBatch(ObjectMapper json, String id, long sequence, String endpoint, String inputFileId, JsonNode metadata,
              long createdNanos, MockOptions.BatchOptions options, boolean expires, MockBatchInput.Parsed input,
              long seed) {
        this.json = json;
        this.id = id;
        this.sequence = sequence;
        this.endpoint = endpoint;
        this.inputFileId = inputFileId;
        this.metadata = metadata;
        this.createdNanos = createdNanos;
        this.stepNanos = Math.max(1, options.stepTime().toNanos());
        this.inProgressNanos = options.inProgress().toNanos();
        this.expires = expires;
        List<MockBatchInput.Line> shuffled = new ArrayList<>(input.lines());
        Collections.shuffle(shuffled, new Random(seed ^ (sequence * 0x9E3779B97F4A7C15L)));
        this.lines = List.copyOf(shuffled);
        this.errors = new ArrayList<>(input.errors());
        for (MockBatchInput.Line line : lines) {
            tokensByModel.merge(line.model(), line.tokens(), Long::sum);
        }
    }

    String id() {
        return id;
    }

    long sequence() {
        return sequence;
    }

    String endpoint() {
        return endpoint;
    }

    Status status() {
        return status;
    }

    /** The enqueued tokens of each model while the batch is open; none once it has ended. */
    Map<String, Long> openTokensByModel() {
        return status.terminal() ? Map.of() : tokensByModel;
    }

    /** Fails the batch at its creation, before validation: the enqueued-token limit. */
    void failNow(MockBatchInput.LineError error, Sink sink) {
        errors.clear();
        errors.add(error);
        fail(createdNanos, sink);
    }

    /** Plays every event due by {@code now}, each at its own time. */
    void advance(long now, Answerer answerer, Sink sink) {
        while (true) {
            switch (status) {
                case VALIDATING -> {
                    long validated = createdNanos + stepNanos;
                    if (now < validated) {
                        return;
                    }
                    if (!errors.isEmpty()) {
                        fail(validated, sink);
                        return;
                    }
                    status = Status.IN_PROGRESS;
                    inProgressAt = validated;
                }
                case IN_PROGRESS -> {
                    if (!progress(now, answerer, sink)) {
                        return;
                    }
                }
                case FINALIZING -> {
                    if (now < finalizingAt + stepNanos) {
                        return;
                    }
                    completedAt = finalizingAt + stepNanos;
                    end(Status.COMPLETED, completedAt, null, sink);
                }
                case CANCELLING -> {
                    if (now < cancellingAt + stepNanos) {
                        return;
                    }
                    cancelledAt = cancellingAt + stepNanos;
                    end(Status.CANCELLED, cancelledAt, "batch_cancelled", sink);
                }
                default -> {
                    return;
                }
            }
        }
    }

    /** Answers the lines whose turn came by {@code now}; true when the batch left {@code in_progress}. */
    private boolean progress(long now, Answerer answerer, Sink sink) {
        long end = inProgressAt + inProgressNanos;
        int turns = expires ? lines.size() / 2 : lines.size();
        while (nextTurn < turns && turnAt(nextTurn) <= now) {
            long at = turnAt(nextTurn);
            MockBatchInput.Line line = lines.get(nextTurn++);
            String requestId = sink.nextRequestId();
            MockBatchAnswer answer = answerer.answer(line, requestId, at);
            long due = !answer.answered() ? Long.MAX_VALUE : at + answer.delayMs() * 1_000_000L;
            waiting.add(new Turn(line, answer, requestId, due));
        }
        long horizon = expires ? Math.min(now, end) : now;
        waiting.sort(Comparator.comparingLong(Turn::dueNanos));
        while (!waiting.isEmpty() && waiting.get(0).dueNanos() <= horizon) {
            Turn turn = waiting.remove(0);
            keep(turn, sink);
        }
        if (expires) {
            if (now < end) {
                return false;
            }
            expiredAt = end;
            end(Status.EXPIRED, end, "batch_expired", sink);
            return true;
        }
        if (nextTurn < lines.size() || !waiting.isEmpty()) {
            return false;
        }
        long lastAnswer = results.isEmpty() ? inProgressAt : results.get(results.size() - 1).atNanos();
        finalizingAt = Math.max(end, lastAnswer);
        status = Status.FINALIZING;
        return true;
    }

    /** When the line at this place in the order has its turn: evenly spread, the last at the end. */
    private long turnAt(int turn) {
        return inProgressAt + inProgressNanos * (turn + 1L) / lines.size();
    }

    private void keep(Turn turn, Sink sink) {
        MockBatchAnswer answer = turn.answer();
        sink.answered(answer);
        if (answer.succeeded()) {
            completed++;
        } else {
            failed++;
        }
        results.add(new Result(resultLine(turn.line().customId(), turn.requestId(), answer), answer.succeeded(),
                turn.dueNanos()));
    }

    /** {@code POST /v1/batches/ID/cancel}: false when the batch has finished (or is finishing) anyway. */
    boolean cancel(long now, Answerer answerer, Sink sink) {
        advance(now, answerer, sink);
        if (status == Status.CANCELLING || status == Status.CANCELLED) {
            return true;
        }
        if (status != Status.VALIDATING && status != Status.IN_PROGRESS) {
            return false;
        }
        status = Status.CANCELLING;
        cancellingAt = now;
        return true;
    }

    private void fail(long at, Sink sink) {
        status = Status.FAILED;
        failedAt = at;
        sink.ended(status);
    }

    /**
     * Ends the batch: the lines without an answer go to the error file with {@code unansweredCode}, then both
     * files are written, answers in the order they came.
     */
    private void end(Status ended, long at, String unansweredCode, Sink sink) {
        status = ended;
        if (unansweredCode != null) {
            List<MockBatchInput.Line> unanswered = new ArrayList<>(lines.subList(nextTurn, lines.size()));
            for (Turn turn : waiting) {
                unanswered.add(turn.line());
            }
            waiting.clear();
            nextTurn = lines.size();
            String message = unansweredCode.equals("batch_expired")
                    ? "This request could not be executed before the completion window expired."
                    : "This request was not executed because the batch was cancelled.";
            for (MockBatchInput.Line line : unanswered) {
                ObjectNode entry = json.createObjectNode();
                entry.put("id", MockIds.next("batch_req_"));
                entry.put("custom_id", line.customId());
                entry.putNull("response");
                entry.putObject("error").put("code", unansweredCode).put("message", message);
                results.add(new Result(entry, false, at));
                failed++;
                sink.lineFailed();
            }
        }
        outputFileId = writeFile("output", true, at, sink);
        errorFileId = writeFile("error", false, at, sink);
        sink.ended(status);
    }

    private String writeFile(String kind, boolean ok, long at, Sink sink) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (Result result : results) {
                if (result.ok() == ok) {
                    out.write(json.writeValueAsBytes(result.json()));
                    out.write('\n');
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a JSON tree, which should not happen", e);
        }
        if (out.size() == 0) {
            return null;
        }
        return sink.write(id + "_" + kind + ".jsonl", out.toByteArray(), at).id();
    }

    /** A line of the output or error file: the response, with its status, request id and body. */
    private ObjectNode resultLine(String customId, String requestId, MockBatchAnswer answer) {
        ObjectNode entry = json.createObjectNode();
        entry.put("id", MockIds.next("batch_req_"));
        entry.put("custom_id", customId);
        ObjectNode response = entry.putObject("response");
        response.put("status_code", answer.status());
        response.put("request_id", requestId);
        response.set("body", answer.body());
        entry.putNull("error");
        return entry;
    }

    /** OpenAI's Batch object as of the batch's last {@link #advance}. */
    ObjectNode object(MockBatchClock clock) {
        ObjectNode batch = json.createObjectNode();
        batch.put("id", id);
        batch.put("object", "batch");
        batch.put("endpoint", endpoint);
        if (status == Status.FAILED) {
            ObjectNode list = batch.putObject("errors");
            list.put("object", "list");
            ArrayNode data = list.putArray("data");
            for (MockBatchInput.LineError error : errors) {
                data.add(error.json(json));
            }
        } else {
            batch.putNull("errors");
        }
        batch.put("input_file_id", inputFileId);
        batch.put("completion_window", COMPLETION_WINDOW);
        batch.put("status", status.apiName());
        batch.put("output_file_id", outputFileId);
        batch.put("error_file_id", errorFileId);
        long createdAt = clock.epochSeconds(createdNanos);
        batch.put("created_at", createdAt);
        time(batch, "in_progress_at", inProgressAt, clock);
        batch.put("expires_at", createdAt + WINDOW_SECONDS);
        time(batch, "finalizing_at", finalizingAt, clock);
        time(batch, "completed_at", completedAt, clock);
        time(batch, "failed_at", failedAt, clock);
        time(batch, "expired_at", expiredAt, clock);
        time(batch, "cancelling_at", cancellingAt, clock);
        time(batch, "cancelled_at", cancelledAt, clock);
        ObjectNode counts = batch.putObject("request_counts");
        counts.put("total", status == Status.VALIDATING || status == Status.FAILED ? 0 : lines.size());
        counts.put("completed", completed);
        counts.put("failed", failed);
        if (metadata == null) {
            batch.putNull("metadata");
        } else {
            batch.set("metadata", metadata.deepCopy());
        }
        return batch;
    }

    private static void time(ObjectNode batch, String field, long nanos, MockBatchClock clock) {
        if (nanos == NOT_YET) {
            batch.putNull(field);
        } else {
            batch.put(field, clock.epochSeconds(nanos));
        }
    }
}
