package io.llmstream.batch;

/**
 * The Batch API refused a request: what the lane tried, the status, the wait the provider asked for (0 if
 * none) and its message (never the key).
 */
public final class BatchApiException extends RuntimeException {
    private final int status;
    private final long retryAfterMillis;

    BatchApiException(String what, int status, long retryAfterMillis, String message) {
        super("could not " + what + ": HTTP " + status + (message == null || message.isEmpty() ? "" : " (" + message
                + ")"));
        this.status = status;
        this.retryAfterMillis = retryAfterMillis;
    }

    public int status() {
        return status;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
