package io.llmstream.limit;

/**
 * What a dispatcher let out, and the request rate its shard of the model's limits allows: the pace the
 * adaptive concurrency measures its server against. Not thread-safe: its {@link ModelDispatcher} guards it.
 */
final class AdmittedCounts {
    private final int rpm;
    private final long tpm;
    private final int shards;
    private long requests;
    private long tokens;

    /** @param shards how many shards share the model's limits */
    AdmittedCounts(int rpm, long tpm, int shards) {
        this.rpm = rpm;
        this.tpm = tpm;
        this.shards = shards;
    }

    void admitted(long requestTokens) {
        requests++;
        tokens += requestTokens;
    }

    long requests() {
        return requests;
    }

    long tokens() {
        return tokens;
    }

    /**
     * The model's request rate limit in this shard, requests per second (from the TPM limit and the tokens of
     * the requests let out so far when it has no RPM limit); 0 when it has none.
     */
    double requestsPerSecond() {
        if (rpm > 0) {
            return rpm / 60.0 / shards;
        }
        if (tpm > 0 && requests > 0) {
            return tpm / 60.0 / shards / Math.max(1.0, tokens / (double) requests);
        }
        return 0;
    }
}
