package io.llmstream.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A lane's batches at the provider, found by the metadata the lane creates them with ({@value #LANE_KEY} and
 * {@value #SEQUENCE_KEY}): after a restore, or after a create whose outcome is unknown, they tell what the
 * provider has that the checkpoint does not.
 */
final class LaneBatches {
    static final String LANE_KEY = "llmstream_lane";
    static final String SEQUENCE_KEY = "llmstream_sequence";
    /** Pages of the key's batches read when looking for the lane's (100 each, newest first). */
    static final int PAGES = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BatchApi api;
    private final String laneId;

    LaneBatches(BatchApi api, String laneId) {
        this.api = api;
        this.laneId = laneId;
    }

    /** The metadata of the lane's batch of this sequence. */
    Map<String, String> metadata(long sequence) {
        return Map.of(LANE_KEY, laneId, SEQUENCE_KEY, Long.toString(sequence));
    }

    /** The lane's batches at the provider, newest first, over at most {@value #PAGES} pages. */
    CompletableFuture<List<BatchStatus>> list() {
        return list(null, 0, new ArrayList<>());
    }

    private CompletableFuture<List<BatchStatus>> list(String after, int page, List<BatchStatus> found) {
        if (page >= PAGES) {
            return CompletableFuture.completedFuture(found);
        }
        return api.list(after, 100).thenCompose(batches -> {
            for (BatchStatus batch : batches.batches()) {
                if (laneId.equals(batch.metadata().get(LANE_KEY))) {
                    found.add(batch);
                }
            }
            if (!batches.hasMore() || batches.batches().isEmpty()) {
                return CompletableFuture.completedFuture(found);
            }
            return list(batches.batches().get(batches.batches().size() - 1).id(), page + 1, found);
        });
    }

    /** The custom_ids of each batch's input file, in the file's order. */
    CompletableFuture<Map<BatchStatus, List<String>>> customIds(List<BatchStatus> batches) {
        CompletableFuture<Map<BatchStatus, List<String>>> files =
                CompletableFuture.completedFuture(new LinkedHashMap<>());
        for (BatchStatus batch : batches) {
            files = files.thenCombine(api.lines(batch.inputFileId()), (all, lines) -> {
                all.put(batch, customIdsOf(lines));
                return all;
            });
        }
        return files;
    }

    /** The batch of this sequence among {@code batches}; null when none. */
    static BatchStatus find(List<BatchStatus> batches, long sequence) {
        for (BatchStatus batch : batches) {
            if (sequenceOf(batch) == sequence) {
                return batch;
            }
        }
        return null;
    }

    /** A batch's sequence from its metadata; -1 when it has none. */
    static long sequenceOf(BatchStatus batch) {
        try {
            return Long.parseLong(batch.metadata().getOrDefault(SEQUENCE_KEY, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> customIdsOf(List<String> lines) {
        List<String> ids = new ArrayList<>();
        for (String line : lines) {
            try {
                ids.add(JSON.readTree(line).path("custom_id").asText());
            } catch (JsonProcessingException e) {
                // Not a line the lane wrote.
            }
        }
        return ids;
    }
}
