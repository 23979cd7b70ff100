package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * OpenAI's Batch API: {@code POST /v1/batches}, {@code GET /v1/batches} (newest first, {@code limit} and
 * {@code after}), {@code GET /v1/batches/ID} and {@code POST /v1/batches/ID/cancel}, over the files of
 * {@link MockFiles}, whose endpoints it routes too. Each batch plays its lifecycle by the clock ({@link MockBatch});
 * its lines are answered by the code that answers the online requests, directives included, so a batch answer
 * has the content and usage the online answer would have.
 *
 * <p>Faults: {@code --batch-expire-share} (seeded draws, one per batch in creation order),
 * {@code --batch-enqueued-tokens} (a batch that would pass it fails at once with {@code token_limit_exceeded}),
 * {@code --batch-rpm} (429 with {@code retry-after} on these endpoints), and per line the directives of the
 * prompt. Batches are kept for the life of the server; a stats reset leaves them.
 *
 * <p>No thread of its own: every request to {@code /v1/batches} and every stats snapshot first brings all open
 * batches up to now, answering the lines whose turn has come on the caller's thread, under this object's lock.
 */
final class MockBatches {

    private static final String FILES = "/v1/files";
    private static final String BATCHES = "/v1/batches";
    /** How {@code --batch-rpm} names these endpoints in its 429. */
    static final String RATE_LIMITED_AS = "files and batches";
    static final int DEFAULT_LIST_LIMIT = 20;
    static final int MAX_LIST_LIMIT = 100;
    /** OpenAI's limits on metadata: 16 pairs, keys of 64 characters, values of 512. */
    static final int MAX_METADATA_PAIRS = 16;
    static final int MAX_METADATA_KEY = 64;
    static final int MAX_METADATA_VALUE = 512;
    /** Keeps the expiry draws apart from the other streams drawn from the same seed. */
    private static final long EXPIRY_STREAM = 0x6261746368L;

    private final MockRuntime rt;
    private final MockBatchClock clock;
    private final MockFiles files;
    private final MockRateLimiter limiter;
    private final Map<String, MockBatch.Answerer> answerers;
    private final MockBatch.Sink sink = new Recorder();
    private final Random expiry;
    /** In creation order; the list endpoint reads it backwards. */
    private final List<MockBatch> created = new ArrayList<>();
    private final Map<String, MockBatch> byId = new HashMap<>();

    MockBatches(MockRuntime rt) {
        this.rt = rt;
        this.clock = new MockBatchClock(rt.nanoClock, System.currentTimeMillis());
        this.files = new MockFiles(rt, clock);
        MockOptions.BatchOptions options = rt.options.batch();
        this.limiter = options.rpm() == 0 ? null
                : new MockRateLimiter(new MockRateLimiter.Limits(options.rpm(), 0), rt.options.limitWindow(),
                        rt.nanoClock);
        MockChat chat = new MockChat(rt);
        MockEmbeddings embeddings = new MockEmbeddings(rt);
        this.answerers = Map.of(
                MockBatchInput.CHAT, (line, requestId, atNanos) -> dated(chat.batchAnswer(line.body(), requestId),
                        atNanos),
                MockBatchInput.EMBEDDINGS, (line, requestId, atNanos) -> embeddings.batchAnswer(line.body()));
        this.expiry = new Random(rt.options.seed() ^ EXPIRY_STREAM);
    }

    /** Whether a path is one of the files or batches endpoints. */
    static boolean serves(String path) {
        return path.equals(FILES) || path.startsWith(FILES + "/") || path.equals(BATCHES)
                || path.startsWith(BATCHES + "/");
    }

    void route(MockExchange ex, String method, String path, String keyFingerprint, FullHttpRequest request) {
        if (limiter != null) {
            MockRateLimiter.Decision decision = limiter.acquire(keyFingerprint, RATE_LIMITED_AS, 0);
            if (!decision.admitted()) {
                rt.counters.rateLimited();
                ex.error(decision.error(rt.options.limitHeaders()));
                return;
            }
        }
        String[] parts = path.substring(1).split("/");
        String id = parts.length > 2 ? parts[2] : null;
        String action = parts.length > 3 ? parts[3] : null;
        if (parts.length > 4 || id != null && id.isEmpty()) {
            ex.error(MockErrors.notFound(method, path));
        } else if (path.startsWith(FILES)) {
            routeFiles(ex, method, path, id, action, request);
        } else {
            routeBatches(ex, method, path, id, action, request);
        }
    }

    private void routeFiles(MockExchange ex, String method, String path, String id, String action,
                            FullHttpRequest request) {
        if (id == null) {
            if (allowed(ex, method, path, "POST")) {
                files.upload(ex, request);
            }
        } else if (action == null) {
            if ("DELETE".equals(method)) {
                files.delete(ex, id);
            } else if (allowed(ex, method, path, "GET")) {
                files.retrieve(ex, id);
            }
        } else if (!action.equals("content")) {
            ex.error(MockErrors.notFound(method, path));
        } else if (allowed(ex, method, path, "GET")) {
            files.content(ex, id);
        }
    }

    private void routeBatches(MockExchange ex, String method, String path, String id, String action,
                              FullHttpRequest request) {
        if (id == null) {
            if ("GET".equals(method)) {
                list(ex, new QueryStringDecoder(request.uri()).parameters());
            } else if (allowed(ex, method, path, "POST")) {
                JsonNode body = ex.readJson(request);
                if (body != null) {
                    create(ex, body);
                }
            }
        } else if (action == null) {
            if (allowed(ex, method, path, "GET")) {
                retrieve(ex, id);
            }
        } else if (!action.equals("cancel")) {
            ex.error(MockErrors.notFound(method, path));
        } else if (allowed(ex, method, path, "POST")) {
            cancel(ex, id);
        }
    }

    private static boolean allowed(MockExchange ex, String method, String path, String expected) {
        if (expected.equals(method)) {
            return true;
        }
        ex.error(MockErrors.methodNotAllowed(method, path));
        return false;
    }

    /** {@code POST /v1/batches}: validates the request, reads the file and starts the batch, or fails it at once. */
    void create(MockExchange ex, JsonNode body) {
        MockErrors.Error invalid = validate(body);
        if (invalid != null) {
            ex.error(invalid);
            return;
        }
        String inputFileId = body.get("input_file_id").asText();
        MockFiles.StoredFile file = files.get(inputFileId);
        if (file == null) {
            ex.error(MockErrors.invalidRequest("No such File object: " + inputFileId, "input_file_id"));
            return;
        }
        if (!MockFiles.PURPOSE_BATCH.equals(file.purpose())) {
            ex.error(MockErrors.invalidRequest("The file " + inputFileId + " has purpose '" + file.purpose()
                    + "'; a batch reads only files uploaded with purpose 'batch'.", "input_file_id"));
            return;
        }
        String endpoint = body.get("endpoint").asText();
        JsonNode metadata = body.get("metadata");
        MockBatchInput.Parsed input = MockBatchInput.parse(file.content(), endpoint, rt.json, rt::estimatorFor);
        ObjectNode answer;
        synchronized (this) {
            long now = clock.now();
            advanceAll(now);
            boolean expires = expiry.nextDouble() < rt.options.batch().expireShare();
            MockBatch batch = new MockBatch(rt.json, MockIds.next("batch_"), created.size(), endpoint, inputFileId,
                    metadata == null || metadata.isNull() ? null : metadata.deepCopy(), now, rt.options.batch(),
                    expires, input, rt.options.seed());
            rt.counters.batchCreated(input.lines().size());
            MockBatchInput.LineError overLimit = input.errors().isEmpty() ? tokenLimit(batch) : null;
            if (overLimit != null) {
                batch.failNow(overLimit, sink);
            }
            created.add(batch);
            byId.put(batch.id(), batch);
            answer = batch.object(clock);
        }
        ex.json(200, answer, Map.of());
    }

    /** The 400 for a create request that is not OpenAI's shape, or null. */
    private static MockErrors.Error validate(JsonNode body) {
        if (!body.isObject()) {
            return MockErrors.invalidRequest("The request body must be a JSON object.", null);
        }
        JsonNode inputFileId = body.get("input_file_id");
        if (inputFileId == null || !inputFileId.isTextual() || inputFileId.asText().isBlank()) {
            return MockErrors.invalidRequest("Missing required parameter: 'input_file_id'.", "input_file_id");
        }
        JsonNode endpoint = body.get("endpoint");
        if (endpoint == null || !endpoint.isTextual()) {
            return MockErrors.invalidRequest("Missing required parameter: 'endpoint'.", "endpoint");
        }
        if (!endpoint.asText().equals(MockBatchInput.CHAT) && !endpoint.asText().equals(MockBatchInput.EMBEDDINGS)) {
            return MockErrors.invalidRequest("Invalid value for 'endpoint': mock-llm batches '" + MockBatchInput.CHAT
                    + "' and '" + MockBatchInput.EMBEDDINGS + "', was " + endpoint + ".", "endpoint",
                    "unsupported_value");
        }
        JsonNode window = body.get("completion_window");
        if (window == null || !MockBatch.COMPLETION_WINDOW.equals(window.asText(null)) || !window.isTextual()) {
            return MockErrors.invalidRequest("Invalid value for 'completion_window': only '"
                    + MockBatch.COMPLETION_WINDOW + "' is supported, was " + window + ".", "completion_window");
        }
        return validateMetadata(body.get("metadata"));
    }

    private static MockErrors.Error validateMetadata(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return null;
        }
        if (!metadata.isObject()) {
            return MockErrors.invalidRequest("Invalid 'metadata': must be an object of strings, was " + metadata + ".",
                    "metadata");
        }
        if (metadata.size() > MAX_METADATA_PAIRS) {
            return MockErrors.invalidRequest("Invalid 'metadata': at most " + MAX_METADATA_PAIRS + " pairs, was "
                    + metadata.size() + ".", "metadata");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> pair = it.next();
            if (pair.getKey().length() > MAX_METADATA_KEY) {
                return MockErrors.invalidRequest("Invalid 'metadata': key '" + pair.getKey() + "' is longer than "
                        + MAX_METADATA_KEY + " characters.", "metadata");
            }
            if (!pair.getValue().isTextual() || pair.getValue().asText().length() > MAX_METADATA_VALUE) {
                return MockErrors.invalidRequest("Invalid 'metadata': the value of '" + pair.getKey()
                        + "' must be a string of at most " + MAX_METADATA_VALUE + " characters.", "metadata");
            }
        }
        return null;
    }

    /**
     * The {@code token_limit_exceeded} error when this batch's tokens of a model and those of the open batches
     * pass {@code --batch-enqueued-tokens}, or null.
     */
    private MockBatchInput.LineError tokenLimit(MockBatch batch) {
        long limit = rt.options.batch().enqueuedTokens();
        if (limit == 0) {
            return null;
        }
        for (Map.Entry<String, Long> own : batch.openTokensByModel().entrySet()) {
            long open = 0;
            for (MockBatch other : created) {
                open += other.openTokensByModel().getOrDefault(own.getKey(), 0L);
            }
            if (open + own.getValue() > limit) {
                return new MockBatchInput.LineError("token_limit_exceeded", "Enqueued token limit reached for "
                        + own.getKey() + " in organization " + MockRateLimiter.ORGANIZATION + ". Limit: " + limit
                        + " enqueued tokens; open batches hold " + open + " and this one needs " + own.getValue()
                        + ". Please try again once some in_progress batches have been completed.", null, null);
            }
        }
        return null;
    }

    /** {@code GET /v1/batches/ID}. */
    void retrieve(MockExchange ex, String id) {
        ObjectNode answer;
        synchronized (this) {
            advanceAll(clock.now());
            MockBatch batch = byId.get(id);
            answer = batch == null ? null : batch.object(clock);
        }
        if (answer == null) {
            ex.error(MockErrors.noSuchBatch(id));
        } else {
            ex.json(200, answer, Map.of());
        }
    }

    /** {@code POST /v1/batches/ID/cancel}: {@code cancelling} now, {@code cancelled} a tenth of the batch time on. */
    void cancel(MockExchange ex, String id) {
        ObjectNode answer;
        MockBatch.Status finished = null;
        synchronized (this) {
            long now = clock.now();
            advanceAll(now);
            MockBatch batch = byId.get(id);
            if (batch == null) {
                answer = null;
            } else {
                if (!batch.cancel(now, answererOf(batch), sink)) {
                    finished = batch.status();
                }
                answer = batch.object(clock);
            }
        }
        if (answer == null) {
            ex.error(MockErrors.noSuchBatch(id));
        } else if (finished != null) {
            ex.error(new MockErrors.Error(409, "Cannot cancel a batch with status '" + finished.apiName() + "'.",
                    MockErrors.INVALID_REQUEST, null, null));
        } else {
            ex.json(200, answer, Map.of());
        }
    }

    /** {@code GET /v1/batches?limit=N&after=ID}: newest first, pages of {@code limit} after the batch {@code after}. */
    void list(MockExchange ex, Map<String, List<String>> query) {
        int limit = DEFAULT_LIST_LIMIT;
        String rawLimit = first(query, "limit");
        if (rawLimit != null) {
            try {
                limit = Integer.parseInt(rawLimit.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIST_LIMIT) {
                ex.error(MockErrors.invalidRequest("Invalid 'limit': must be an integer between 1 and "
                        + MAX_LIST_LIMIT + ", was '" + rawLimit + "'.", "limit"));
                return;
            }
        }
        String after = first(query, "after");
        ObjectNode root = rt.json.createObjectNode();
        synchronized (this) {
            if (after != null && !byId.containsKey(after)) {
                ex.error(MockErrors.invalidRequest("Invalid 'after': no batch with id '" + after + "'.", "after"));
                return;
            }
            advanceAll(clock.now());
            root.put("object", "list");
            ArrayNode data = root.putArray("data");
            int start = after == null ? created.size() - 1 : (int) byId.get(after).sequence() - 1;
            int index = start;
            for (; index >= 0 && data.size() < limit; index--) {
                data.add(created.get(index).object(clock));
            }
            if (data.isEmpty()) {
                root.putNull("first_id");
                root.putNull("last_id");
            } else {
                root.put("first_id", data.get(0).get("id").asText());
                root.put("last_id", data.get(data.size() - 1).get("id").asText());
            }
            root.put("has_more", index >= 0);
        }
        ex.json(200, root, Map.of());
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Brings every batch to now, so the counters show what has happened by now. */
    synchronized void advanceAll() {
        advanceAll(clock.now());
    }

    private void advanceAll(long now) {
        for (MockBatch batch : created) {
            if (!batch.status().terminal()) {
                batch.advance(now, answererOf(batch), sink);
            }
        }
    }

    /** A completion made when its line's turn came, not when a later request played that turn. */
    private MockBatchAnswer dated(MockBatchAnswer answer, long atNanos) {
        if (answer.body() instanceof ObjectNode body && body.has("created")) {
            body.put("created", clock.epochSeconds(atNanos));
        }
        return answer;
    }

    private MockBatch.Answerer answererOf(MockBatch batch) {
        return answerers.get(batch.endpoint());
    }

    /** Writes the batches' files to {@link MockFiles} and counts their lines and ends in {@link MockCounters}. */
    private final class Recorder implements MockBatch.Sink {
        @Override
        public MockFiles.StoredFile write(String filename, byte[] content, long createdAtNanos) {
            return files.add(filename, MockFiles.PURPOSE_BATCH_OUTPUT, content, clock.epochSeconds(createdAtNanos));
        }

        @Override
        public String nextRequestId() {
            return rt.nextRequestId();
        }

        @Override
        public void answered(MockBatchAnswer answer) {
            rt.counters.batchLineAnswered(answer.succeeded(), answer.promptTokens(), answer.completionTokens());
        }

        @Override
        public void lineFailed() {
            rt.counters.batchLineFailed();
        }

        @Override
        public void ended(MockBatch.Status status) {
            rt.counters.batchEnded(status.apiName());
        }
    }
}
