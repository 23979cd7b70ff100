package io.llmstream.record;

/**
 * The size of a record as a Kafka producer checks it against {@code max.request.size}: key, value and
 * headers plus the framing of a batch that holds it alone. Records are measured before they are sent
 * because a producer that refuses one fails the sink, and the restarted job reads the same input and
 * fails again.
 */
public final class RecordSize {
    /**
     * Room kept for Kafka's framing, generously: a batch header (61 bytes), a record header (at most 21)
     * and a varint of at most 5 bytes for each length (key, value, header count, each header's name and
     * value), about 250 bytes for a dead letter's 15 headers.
     */
    public static final int FRAMING_BYTES = 512;

    private RecordSize() {}

    /** The bytes a record takes at most, framing included. */
    public static long of(long keyBytes, long valueBytes, long headerBytes) {
        return FRAMING_BYTES + keyBytes + valueBytes + headerBytes;
    }
}
