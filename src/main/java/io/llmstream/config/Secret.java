package io.llmstream.config;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A secret value such as an API key. Its {@link #toString()} never shows the value, so a secret that
 * ends up in a log line, an exception or a metric by accident shows as {@code ****} instead.
 */
public final class Secret implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String value;

    public Secret(String value) {
        this.value = value;
    }

    /** The secret itself; call only where it is sent to its destination (an HTTP header). */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    /** A short, stable, non-reversible fingerprint for telling keys apart in logs: {@code key-1a2b3c4d}. */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder("key-");
            for (int i = 0; i < 4; i++) {
                hex.append(String.format("%02x", digest[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret && ((Secret) other).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "****";
    }
}
