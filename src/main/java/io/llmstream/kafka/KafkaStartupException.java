package io.llmstream.kafka;

/**
 * Kafka is not set up for the job: it cannot be reached, refuses the credentials, lacks the input topic or
 * allows shorter transactions than the job needs. The message is one line that names the address and the
 * key; its {@link #toString()} is the message alone, so the command line prints a sentence, not a class name.
 */
public final class KafkaStartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KafkaStartupException(String message) {
        super(message);
    }

    public KafkaStartupException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
