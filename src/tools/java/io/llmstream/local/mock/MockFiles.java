package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpRequest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part of OpenAI's Files API the Batch API needs: {@code POST /v1/files} (multipart, {@code purpose=batch}),
 * {@code GET /v1/files/ID}, {@code GET /v1/files/ID/content} and {@code DELETE /v1/files/ID}. Files are kept in
 * memory for the life of the server; finished batches add their output and error files here
 * ({@code purpose: batch_output}).
 */
final class MockFiles {

    static final String PURPOSE_BATCH = "batch";
    static final String PURPOSE_BATCH_OUTPUT = "batch_output";
    /** What {@code /content} answers with: OpenAI sends file bytes untyped. */
    static final String OCTET_STREAM = "application/octet-stream";

    /** A stored file: the File object's fields and the bytes. */
    record StoredFile(String id, String filename, String purpose, long createdAt, byte[] content) {

        /** OpenAI's File object; {@code status} and {@code status_details} are deprecated but still sent. */
        ObjectNode object(ObjectMapper json) {
            ObjectNode file = json.createObjectNode();
            file.put("id", id);
            file.put("object", "file");
            file.put("bytes", content.length);
            file.put("created_at", createdAt);
            file.put("filename", filename);
            file.put("purpose", purpose);
            file.put("status", "processed");
            file.putNull("status_details");
            return file;
        }
    }

    private final MockRuntime rt;
    private final MockBatchClock clock;
    private final ConcurrentHashMap<String, StoredFile> files = new ConcurrentHashMap<>();

    MockFiles(MockRuntime rt, MockBatchClock clock) {
        this.rt = rt;
        this.clock = clock;
    }

    /** Stores a file and gives it an id. */
    StoredFile add(String filename, String purpose, byte[] content, long createdAt) {
        StoredFile file = new StoredFile(MockIds.next("file-"), filename, purpose, createdAt, content);
        files.put(file.id(), file);
        return file;
    }

    /** The file, or null when there is none with this id (any more). */
    StoredFile get(String id) {
        return files.get(id);
    }

    /** {@code POST /v1/files}. */
    void upload(MockExchange ex, FullHttpRequest request) {
        Map<String, MockMultipart.Part> parts;
        try {
            parts = MockMultipart.parse(request);
        } catch (IllegalArgumentException e) {
            ex.error(MockErrors.invalidRequest(e.getMessage(), null));
            return;
        }
        MockMultipart.Part purpose = parts.get("purpose");
        if (purpose == null || purpose.isFile()) {
            ex.error(MockErrors.invalidRequest("Missing required parameter: 'purpose'.", "purpose"));
            return;
        }
        if (!PURPOSE_BATCH.equals(purpose.text())) {
            ex.error(MockErrors.invalidRequest("mock-llm accepts only purpose '" + PURPOSE_BATCH + "', was '"
                    + purpose.text() + "'.", "purpose", "unsupported_value"));
            return;
        }
        MockMultipart.Part file = parts.get("file");
        if (file == null || !file.isFile()) {
            ex.error(MockErrors.invalidRequest("Missing required parameter: 'file'.", "file"));
            return;
        }
        StoredFile stored = add(file.filename(), PURPOSE_BATCH, file.content(), clock.epochSeconds(clock.now()));
        rt.counters.fileUploaded();
        ex.json(200, stored.object(rt.json), Map.of());
    }

    /** {@code GET /v1/files/ID}. */
    void retrieve(MockExchange ex, String id) {
        StoredFile file = files.get(id);
        if (file == null) {
            ex.error(MockErrors.noSuchFile(id));
            return;
        }
        ex.json(200, file.object(rt.json), Map.of());
    }

    /** {@code GET /v1/files/ID/content}: the bytes as uploaded or written. */
    void content(MockExchange ex, String id) {
        StoredFile file = files.get(id);
        if (file == null) {
            ex.error(MockErrors.noSuchFile(id));
            return;
        }
        ex.raw(200, file.content(), OCTET_STREAM, Map.of());
    }

    /** {@code DELETE /v1/files/ID}; a batch that read the file keeps its lines. */
    void delete(MockExchange ex, String id) {
        if (files.remove(id) == null) {
            ex.error(MockErrors.noSuchFile(id));
            return;
        }
        ObjectNode deleted = rt.json.createObjectNode();
        deleted.put("id", id);
        deleted.put("object", "file");
        deleted.put("deleted", true);
        ex.json(200, deleted, Map.of());
    }
}
