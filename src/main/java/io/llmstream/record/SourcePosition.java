package io.llmstream.record;

/** Where an input record was read: for dead letters, so a prompt can be found and replayed. */
public record SourcePosition(String topic, int partition, long offset) {}
