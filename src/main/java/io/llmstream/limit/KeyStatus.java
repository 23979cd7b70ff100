package io.llmstream.limit;

/** A key's health, for metrics: degraded, refused, and the share of its configured rate it is queued at. */
public record KeyStatus(boolean degraded, boolean removed, double scale) {}
