package io.llmstream.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.SourcePosition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One line of a batch file: {@code {"custom_id", "method": "POST", "url", "body"}}, the body exactly as the
 * online request would send it (the provider's model name first, no stream options).
 *
 * <p>The {@code custom_id} is derived from the record's identity alone (its id and where it was read), so the
 * same record read again after a restore gets the same one, and the lane recognises a line it had already
 * submitted. Two records with the same id read from different offsets are different lines.
 */
public final class BatchLine {
    /** The prefix of every custom_id this job writes; the rest is 32 hex digits of SHA-256. */
    public static final String CUSTOM_ID_PREFIX = "ls-";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private BatchLine() {}

    /** The custom_id of a record: the same for the same id read at the same place, whatever the run. */
    public static String customId(LlmRequest request) {
        SourcePosition source = request.source();
        String identity = source == null ? request.id()
                : request.id() + '\u0000' + source.topic() + '\u0000' + source.partition() + '\u0000' + source.offset();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return CUSTOM_ID_PREFIX + HEX.formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The API path of the model's lines, as the batch's {@code endpoint} names it. */
    public static String url(ModelSettings model) {
        return model.isEmbedding() ? "/v1/embeddings" : "/v1/chat/completions";
    }

    /** The line for a record, without its newline. */
    public static byte[] of(LlmRequest request, ModelSettings model) {
        ObjectNode line = JSON.createObjectNode();
        line.put("custom_id", customId(request));
        line.put("method", "POST");
        line.put("url", url(model));
        ObjectNode body = line.putObject("body");
        body.put("model", model.providerModel());
        try {
            JsonNode fields = JSON.readTree(request.body());
            fields.fields().forEachRemaining(field -> {
                if (!field.getKey().equals("model") && !field.getKey().equals("stream")
                        && !field.getKey().equals("stream_options")) {
                    body.set(field.getKey(), field.getValue());
                }
            });
            return JSON.writeValueAsBytes(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the parse stage wrote a body that is not JSON: " + e.getOriginalMessage(),
                    e);
        }
    }
}
