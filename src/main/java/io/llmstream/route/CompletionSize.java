package io.llmstream.route;

import io.llmstream.config.RecordsSettings;
import io.llmstream.record.Completion;
import io.llmstream.record.EnrichedJson;
import io.llmstream.record.RecordJson;
import io.llmstream.record.RecordSize;

import java.nio.charset.StandardCharsets;

/**
 * Whether a completion fits one Kafka record, so one that cannot be written becomes a dead letter instead
 * of failing the completions sink. Nearly every completion is far below the bound, which a cheap upper
 * bound on its size shows without writing it; only the others are written out and measured.
 */
final class CompletionSize {
    /** A JSON string takes at most six bytes per character (a unicode escape), UTF-8 at most three. */
    private static final int MAX_BYTES_PER_CHAR = 6;
    /** Field names, numbers and punctuation of a completion's JSON, with room to spare. */
    private static final int FIXED_JSON_BYTES = 1024;

    private CompletionSize() {}

    /**
     * As {@link #excess(Completion, int)}, for the record the completion becomes: with
     * {@code records.output: enrich}, its input record with the answer added.
     */
    static long excess(Completion completion, RecordsSettings records, int maxRecordBytes) {
        if (!records.enriches() || completion.input() == null) {
            return excess(completion, maxRecordBytes);
        }
        long chars = length(completion.input()) + 2L * length(completion.id()) + length(completion.model())
                + length(completion.content()) + length(completion.embedding()) + length(completion.finishReason())
                + length(completion.fallbackFrom()) + length(completion.fallbackReason());
        if (RecordSize.of(0, chars * MAX_BYTES_PER_CHAR + 2L * FIXED_JSON_BYTES, 0) <= maxRecordBytes) {
            return 0;
        }
        long keyBytes = completion.id() == null ? 0 : completion.id().getBytes(StandardCharsets.UTF_8).length;
        long size = RecordSize.of(keyBytes, EnrichedJson.value(completion, records).length,
                EnrichedJson.headerBytes(EnrichedJson.headers(completion)));
        return size > maxRecordBytes ? size : 0;
    }

    /** The size of the completion's record if it exceeds {@code maxRecordBytes}; 0 if it fits. */
    static long excess(Completion completion, int maxRecordBytes) {
        if (upperBound(completion) <= maxRecordBytes) {
            return 0;
        }
        long size = recordBytes(completion);
        return size > maxRecordBytes ? size : 0;
    }

    /** The size of the completion's record: key, JSON value and the framing kept for Kafka. */
    static long recordBytes(Completion completion) {
        long keyBytes = completion.id() == null ? 0 : completion.id().getBytes(StandardCharsets.UTF_8).length;
        return RecordSize.of(keyBytes, RecordJson.completion(completion).length, 0);
    }

    private static long upperBound(Completion completion) {
        long chars = 2L * length(completion.id()) + length(completion.model()) + length(completion.content())
                + length(completion.embedding()) + length(completion.finishReason()) + length(completion.toolCalls())
                + length(completion.metadata())
                + length(completion.fallbackFrom()) + length(completion.fallbackReason());
        return RecordSize.of(0, chars * MAX_BYTES_PER_CHAR + FIXED_JSON_BYTES, 0);
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }
}
