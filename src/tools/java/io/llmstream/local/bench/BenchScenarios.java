package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.List;

/** The scenarios of issue 3's benchmark: the job against the mock's rate limits. */
final class BenchScenarios {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "gpt-4o-mini";
    /** About 450 tokens of prompt. */
    private static final String LONG_TEXT = "The quarterly report covers revenue, costs, hiring and risks. ".repeat(40);

    private BenchScenarios() {}

    static List<BenchScenario> all(Duration duration, Duration backlogDuration) {
        return List.of(rpmBound(duration), tpmBound(duration), twoKeys(duration), halfLimit(duration),
                halfLimitSilent(duration), priorities(duration), checkpoints(duration), backlog(backlogDuration));
    }

    static BenchScenario rpmBound(Duration duration) {
        return new BenchScenario("rpm-bound", ">= 97% of 600 RPM, 429s <= 1%", duration, MODEL, List.of("bench-key"),
                List.of(new long[] {600, 10_000_000}), "rpm: 600, tpm: 10000000", "[bench-key]",
                5_000, i -> prompt(i, "Name a colour, item " + i + ".", 16, 0), false);
    }

    static BenchScenario tpmBound(Duration duration) {
        return new BenchScenario("tpm-bound", ">= 97% of 20,000 TPM, 429s <= 1%", duration, MODEL, List.of("bench-key"),
                List.of(new long[] {600, 20_000}), "rpm: 600, tpm: 20000", "[bench-key]",
                2_000, i -> prompt(i, LONG_TEXT + " Summarize item " + i + ".", 100, 0), false);
    }

    static BenchScenario twoKeys(Duration duration) {
        return new BenchScenario("two-keys", "each key within its own limit, the sum near 900 RPM", duration, MODEL,
                List.of("key-a", "key-b"), List.of(new long[] {600, 10_000_000}, new long[] {300, 10_000_000}),
                "rpm: 600, tpm: 10000000", "[{key: key-a, id: key-a}, {key: key-b, id: key-b, weight: 0.5}]",
                8_000, i -> prompt(i, "Name a fruit, item " + i + ".", 16, 0), false);
    }

    static BenchScenario halfLimit(Duration duration) {
        return new BenchScenario("half-limit", "real limit 300 RPM (configured 600): 429s <= 5%, >= 90% of 300",
                duration, MODEL, List.of("bench-key"), List.of(new long[] {300, 10_000_000}),
                "rpm: 600, tpm: 10000000", "[bench-key]",
                5_000, i -> prompt(i, "Name an animal, item " + i + ".", 16, 0), false);
    }

    /** As {@link #halfLimit}, from a provider that sends no limit headers: only its 429s teach the job. */
    static BenchScenario halfLimitSilent(Duration duration) {
        return new BenchScenario("half-silent", "real limit 300 RPM (configured 600), no x-ratelimit-* headers: "
                + "429s <= 5%, >= 90% of 300", duration, MODEL, List.of("bench-key"), List.of(new long[] {300, 10_000_000}),
                "rpm: 600, tpm: 10000000", "[bench-key]",
                5_000, i -> prompt(i, "Name a mountain, item " + i + ".", 16, 0), false);
    }

    static BenchScenario priorities(Duration duration) {
        return new BenchScenario("priorities", "at 600 RPM, high-priority p95 wait well under low-priority p95 wait",
                duration, MODEL, List.of("bench-key"), List.of(new long[] {600, 10_000_000}),
                "rpm: 600, tpm: 10000000", "[bench-key]",
                5_000, i -> prompt(i, "Name a city, item " + i + ".", 16, i % 5 == 0 ? 5 : 0), false);
    }

    /**
     * Issue 10: a backlog of 100,000 prompts waiting for a 600 RPM limit on two parallel instances, a
     * checkpoint every 5 s: how long checkpoints take while the limit binds.
     */
    static BenchScenario checkpoints(Duration duration) {
        return new BenchScenario("checkpoints", "100,000 prompts at 600 RPM, parallelism 2, a checkpoint every 5 s: "
                + "checkpoints complete in a few seconds; >= 97% of RPM, 0 429s", duration, MODEL, List.of("bench-key"),
                List.of(new long[] {600, 10_000_000}), "rpm: 600, tpm: 10000000", "[bench-key]",
                100_000, i -> prompt(i, "Name a lake, item " + i + ".", 16, 0), false,
                "parallelism: 2, checkpoint-interval: 5s");
    }

    static BenchScenario backlog(Duration duration) {
        return new BenchScenario("backlog", "1,000,000 prompts queued at 600 RPM: heap flat", duration, MODEL,
                List.of("bench-key"), List.of(new long[] {600, 10_000_000}), "rpm: 600, tpm: 10000000",
                "[bench-key]", 1_000_000, i -> prompt(i, "Name a river, item " + i + ".", 16, 0), true);
    }

    private static String prompt(int i, String text, int maxTokens, int priority) {
        ObjectNode json = JSON.createObjectNode()
                .put("id", "b-" + i)
                .put("prompt", text)
                .put("max_tokens", maxTokens)
                .put("priority", priority);
        json.putObject("metadata").put("priority", priority);
        return json.toString();
    }
}
