package io.llmstream.watch;

/**
 * The job ended in failure, or a bounded run was given up: the message is one line with the root cause and,
 * where a setting explains it, a hint naming the key. Its {@link #toString()} is the message alone, so the
 * command line prints a sentence, not a class name.
 */
public final class JobFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public JobFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
