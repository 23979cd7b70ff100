package io.llmstream.observe;

/**
 * There are no metrics to show: Kafka does not answer, the topic does not exist or holds no windows.
 * Its {@link #toString()} is the message alone, so the command line prints a sentence, not a class name.
 */
public final class MetricsUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MetricsUnavailableException(String message) {
        super(message);
    }

    public MetricsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
