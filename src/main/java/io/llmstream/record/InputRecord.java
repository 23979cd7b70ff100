package io.llmstream.record;

/**
 * One Kafka record of the input topic, as read: its coordinates and raw value. Parsing happens in a
 * later stage so that a bad value becomes a dead letter instead of failing the source.
 *
 * @param value the raw value; null for a tombstone
 */
public record InputRecord(String topic, int partition, long offset, long timestamp, byte[] value) {

    /** The default id of a prompt that has none: {@code <topic>-<partition>-<offset>}. */
    public String coordinates() {
        return topic + "-" + partition + "-" + offset;
    }

    public SourcePosition position() {
        return new SourcePosition(topic, partition, offset);
    }
}
