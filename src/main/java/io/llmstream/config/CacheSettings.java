package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * A model's answer cache: a repeat of a request (same model, same body sent to the API) within {@code ttl}
 * of a successful answer is answered from memory, without a call and without spending rate budget.
 *
 * @param ttl how long an answer is reused after it arrived; {@link Duration#ZERO} when the cache is off
 * @param maxEntries the most answers kept per model and call-stage instance; the oldest go first
 */
public record CacheSettings(Duration ttl, int maxEntries) implements Serializable {

    public static final Option<Duration> TTL = Option.key("ttl").durationType().noDefaultValue()
            .mustBe(v -> v.isZero() || v.toMillis() >= 1, "0 (off) or at least 1ms")
            .withDescription("How long a successful answer answers repeats of the same request (same model, "
                    + "messages and parameters); absent or 0 turns the cache off.");
    public static final Option<Integer> MAX_ENTRIES = Option.key("max-entries").intType().defaultValue(10_000)
            .mustBe(v -> v > 0 && v <= 10_000_000, "between 1 and 10000000")
            .withDescription("The most answers kept per model and call-stage instance; when full, the oldest "
                    + "answer goes first. Bounds the cache's memory: entries times the size of an answer.");

    /** The cache of a model without a {@code cache} section. */
    public static final CacheSettings OFF = new CacheSettings(Duration.ZERO, MAX_ENTRIES.defaultValue());

    /** Whether repeats are answered from the cache. */
    public boolean enabled() {
        return ttl.toMillis() > 0;
    }

    /** The cache in a model's {@code cache} section; {@link #OFF} when absent or its ttl is absent or 0. */
    static CacheSettings read(ConfigSection section) {
        Duration ttl = section.get(TTL);
        int maxEntries = section.get(MAX_ENTRIES);
        if (ttl == null || ttl.isZero()) {
            return OFF;
        }
        return new CacheSettings(ttl, maxEntries);
    }
}
