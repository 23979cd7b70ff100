package io.llmstream.limit;

/**
 * A tenant's caps on one model in one shard ({@code tenants.<t>.models.<m>.{rpm,tpm}}): GCRA for requests and
 * tokens per minute, at the shard's part of the caps, with the model's burst. A tenant's requests go only when
 * its caps allow, even when the model has room; others go meanwhile. Not thread-safe: its
 * {@link ModelDispatcher} guards it.
 */
final class TenantCap {
    private static final long MICROS_PER_MINUTE = 60_000_000L;

    private final double requestIntervalMicros;
    private final double tokenIntervalMicros;
    private final long burstMicros;
    private long requestTat;
    private long tokenTat;

    /**
     * @param rpm requests per minute; 0 = not capped
     * @param tpm tokens per minute; 0 = not capped
     * @param shards how many shards share the caps
     */
    TenantCap(int rpm, long tpm, int shards, long burstMicros) {
        this.requestIntervalMicros = rpm > 0 ? MICROS_PER_MINUTE * (double) shards / rpm : 0;
        this.tokenIntervalMicros = tpm > 0 ? MICROS_PER_MINUTE * (double) shards / tpm : 0;
        this.burstMicros = burstMicros;
    }

    /** The earliest instant at or after {@code fromMicros} at which a request of {@code tokens} may go. */
    long earliest(long fromMicros, long tokens) {
        long earliest = fromMicros;
        if (requestIntervalMicros > 0) {
            long cost = Math.round(requestIntervalMicros);
            earliest = Math.max(earliest, requestTat - Math.max(0, burstMicros - cost));
        }
        if (tokenIntervalMicros > 0) {
            long cost = Math.round(tokens * tokenIntervalMicros);
            earliest = Math.max(earliest, tokenTat - Math.max(0, burstMicros - cost));
        }
        return earliest;
    }

    void charge(long atMicros, long tokens) {
        if (requestIntervalMicros > 0) {
            requestTat = Math.max(requestTat, atMicros) + Math.round(requestIntervalMicros);
        }
        if (tokenIntervalMicros > 0) {
            tokenTat = Math.max(tokenTat, atMicros) + Math.round(tokens * tokenIntervalMicros);
        }
    }
}
