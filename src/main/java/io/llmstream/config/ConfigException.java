package io.llmstream.config;

/**
 * Invalid configuration. The message always names the key and the offending value so that the start
 * fails with something a person can act on, e.g. {@code models.gpt-4o.rpm must be > 0, was -5}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
