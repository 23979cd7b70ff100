package io.llmstream.batch;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch as the provider describes it ({@code GET /v1/batches/{id}}): its status, files, errors and counts.
 *
 * @param id the batch's id
 * @param status validating, in_progress, finalizing, completed, failed, expired, cancelling or cancelled
 * @param outputFileId the file of its answered lines; null until it has one
 * @param errorFileId the file of its failed lines; null when none failed
 * @param errors a failed batch's errors; empty otherwise
 * @param metadata the metadata it was created with
 */
public record BatchStatus(String id, String status, String inputFileId, String outputFileId, String errorFileId,
                          List<BatchError> errors, Map<String, String> metadata, int total, int completed,
                          int failed) {

    /** Whether the batch will change no more: its files can be read. */
    public boolean hasEnded() {
        return switch (status) {
            case "completed", "failed", "expired", "cancelled" -> true;
            default -> false;
        };
    }

    static BatchStatus of(JsonNode batch) {
        List<BatchError> errors = new ArrayList<>();
        for (JsonNode error : batch.path("errors").path("data")) {
            errors.add(new BatchError(text(error.path("code")), text(error.path("message")),
                    error.path("line").asInt(0)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        batch.path("metadata").fields().forEachRemaining(field -> metadata.put(field.getKey(), field.getValue().asText()));
        JsonNode counts = batch.path("request_counts");
        return new BatchStatus(text(batch.path("id")), text(batch.path("status")), text(batch.path("input_file_id")),
                text(batch.path("output_file_id")), text(batch.path("error_file_id")), List.copyOf(errors),
                Map.copyOf(metadata), counts.path("total").asInt(), counts.path("completed").asInt(),
                counts.path("failed").asInt());
    }

    private static String text(JsonNode node) {
        return node.isValueNode() && !node.isNull() ? node.asText() : null;
    }
}
