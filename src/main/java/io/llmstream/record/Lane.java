package io.llmstream.record;

import java.util.Locale;

/**
 * How a prompt reaches its provider: {@link #ONLINE}, request by request under the model's rate limits, or
 * {@link #BATCH}, in a file through the provider's Batch API, answered within the batch's window at the batch
 * price and under the separate batch quota.
 */
public enum Lane {
    ONLINE,
    BATCH;

    /** The name records and outputs use: {@code online} or {@code batch}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The lane a record names, or null when the text names none. */
    public static Lane ofText(String text) {
        for (Lane lane : values()) {
            if (lane.text().equals(text)) {
                return lane;
            }
        }
        return null;
    }
}
