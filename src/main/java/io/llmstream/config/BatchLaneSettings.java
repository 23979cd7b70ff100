package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * A model's second lane through the provider's Batch API ({@code models.<m>.batch-lane}): records that can
 * wait collect into JSONL files of at most {@code maxLines} lines, which are uploaded, submitted as batches
 * with a {@code window} to complete in, and polled every {@code poll} until their answers can be read back,
 * at the provider's batch price (half the online one at OpenAI) and under its separate batch quota.
 *
 * @param maxLines lines per batch file
 * @param maxWait how long records collect before a batch is submitted with those it has
 * @param poll how often each open batch's status is asked
 * @param window the batch's completion window
 * @param enqueuedTokens the model's limit of tokens in open batches; 0 when it has none
 * @param isDefault whether records that do not name a lane take this one
 */
public record BatchLaneSettings(int maxLines, Duration maxWait, Duration poll, Duration window, long enqueuedTokens,
                                boolean isDefault) implements Serializable {

    /** OpenAI's cap on the lines of one batch file. */
    public static final int MAX_LINES_CAP = 50_000;
    /** OpenAI's and Azure's cap on the size of one batch file; a file is closed before it would pass it. */
    public static final long MAX_FILE_BYTES = 200L * 1024 * 1024;

    public static final Option<Integer> MAX_LINES = Option.key("max-lines").intType().defaultValue(MAX_LINES_CAP)
            .mustBe(v -> v >= 1 && v <= MAX_LINES_CAP, "between 1 and " + MAX_LINES_CAP)
            .withDescription("Lines (records) per batch file; OpenAI takes at most 50,000, and at most 200 MB, "
                    + "which closes a file earlier when its lines are long.");
    public static final Option<Duration> MAX_WAIT = Option.key("max-wait").durationType()
            .defaultValue(Duration.ofMinutes(10)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("How long records collect before a batch is submitted with those it has.");
    public static final Option<Duration> POLL = Option.key("poll").durationType().defaultValue(Duration.ofMinutes(1))
            .mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("How often the status of each open batch is asked.");
    public static final Option<Duration> WINDOW = Option.key("window").durationType()
            .defaultValue(Duration.ofHours(24))
            .mustBe(v -> v.toMinutes() % 60 == 0 && v.toHours() >= 24 && v.toHours() <= 336,
                    "whole hours between 24h and 336h")
            .withDescription("The batch's completion_window (OpenAI and Azure take 24h; DashScope up to 336h). "
                    + "Lines a batch leaves unfinished when it expires are asked again in a later batch.");
    public static final Option<Long> ENQUEUED_TOKENS = Option.key("enqueued-tokens").longType().noDefaultValue()
            .mustBe(v -> v > 0, "> 0")
            .withDescription("The model's batch queue limit (tokens of all open batches, prompt estimate + "
                    + "max_tokens); batches wait rather than exceed it. Absent means not limited.");
    public static final Option<Boolean> DEFAULT = Option.key("default").booleanType().defaultValue(false)
            .withDescription("Whether records that name no lane take the batch lane; a record's own \"lane\" "
                    + "wins.");

    /** The completion_window as the API writes it, for example {@code 24h}. */
    public String windowText() {
        return window.toHours() + "h";
    }

    public boolean hasEnqueuedTokenLimit() {
        return enqueuedTokens > 0;
    }

    /** The lane in a model's {@code batch-lane} section; null when the section is absent. */
    static BatchLaneSettings read(ConfigSection parent, String key) {
        if (!parent.has(key)) {
            return null;
        }
        ConfigSection section = parent.section(key);
        Duration maxWait = section.get(MAX_WAIT);
        Duration window = section.get(WINDOW);
        if (maxWait.compareTo(window) >= 0) {
            throw new ConfigException(section.pathOf(MAX_WAIT.key()) + " must be shorter than "
                    + section.pathOf(WINDOW.key()) + " (" + window + "), was " + maxWait);
        }
        Long tokens = section.get(ENQUEUED_TOKENS);
        return new BatchLaneSettings(section.get(MAX_LINES), maxWait, section.get(POLL), window,
                tokens == null ? 0 : tokens, section.get(DEFAULT));
    }
}
