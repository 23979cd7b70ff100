package io.llmstream.call.backlog;

import io.llmstream.record.InputRecord;

import java.io.Serializable;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Reads the input again, from an offset of one partition, for the records the call stage left there. */
public interface BacklogReader extends AutoCloseable {

    /** The next records of the partition from {@code from} on, as many as one fetch brings; maybe none. */
    CompletableFuture<Records> read(String topic, int partition, long from);

    @Override
    void close();

    /**
     * Records read again.
     *
     * @param firstOffset the first offset the partition still had: later than the one asked for when the
     *     topic's retention deleted records meanwhile
     */
    record Records(long firstOffset, List<InputRecord> records) {}

    /** Opens a reader in the task that uses it. */
    interface Factory extends Serializable {
        BacklogReader open(String clientId);
    }
}
