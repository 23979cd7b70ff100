package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * Merged prompts of one model ({@code models.<name>.merge}): single user prompts with identical
 * parameters go out together as one chat completion that asks for a JSON answer per prompt, so a
 * model limited by requests per minute answers many short prompts per request. Absent: off.
 *
 * @param maxPrompts the most prompts one merged request carries
 * @param maxWait how long the first prompt of a merged request waits for others before it goes anyway
 */
public record MergeSettings(int maxPrompts, Duration maxWait) implements Serializable {

    /** The most prompts a merged request may carry: beyond, one bad answer costs too many re-asks. */
    public static final int MAX_PROMPTS_LIMIT = 64;

    public static final Option<Integer> MAX_PROMPTS = Option.key("max-prompts").intType().defaultValue(16)
            .mustBe(v -> v >= 2 && v <= MAX_PROMPTS_LIMIT, "between 2 and " + MAX_PROMPTS_LIMIT)
            .withDescription("The most prompts one merged request carries; it goes as soon as it has this many.");
    public static final Option<Duration> MAX_WAIT = Option.key("max-wait").durationType()
            .defaultValue(Duration.ofMillis(200)).mustBe(v -> v.toMillis() >= 1 && v.toMillis() <= 60_000,
                    "between 1ms and 60s")
            .withDescription("How long the first prompt of a merged request waits for others before the request "
                    + "goes with what it has.");

    /** The settings of {@code section}'s {@code merge} entry; null (off) when there is none. */
    static MergeSettings readOf(ConfigSection model) {
        boolean present = model.has("merge");
        ConfigSection section = model.section("merge");
        if (!present) {
            return null;
        }
        return new MergeSettings(section.get(MAX_PROMPTS), section.get(MAX_WAIT));
    }
}
