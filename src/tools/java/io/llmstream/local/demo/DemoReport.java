package io.llmstream.local.demo;

import io.llmstream.local.mock.MockStats;

import java.io.PrintStream;
import java.util.Map;

/** The demo's closing summary table. */
final class DemoReport {
    private final PrintStream out;
    private final DemoTally tally;
    private final MockStats mock;
    private final int produced;
    private final double seconds;

    DemoReport(PrintStream out, DemoTally tally, MockStats mock, int produced, double seconds) {
        this.out = out;
        this.tally = tally;
        this.mock = mock;
        this.produced = produced;
        this.seconds = seconds;
    }

    void print() {
        long answeredByCalls = tally.completions() - tally.cached();
        // Invalid records and prompts refused for their tenant's spend cap never made a call.
        long calls = answeredByCalls + tally.deadLetters() - tally.errorsByKind().getOrDefault("invalid_input", 0L)
                - tally.errorsByKind().getOrDefault("spend_limit", 0L);
        out.println();
        out.println("Summary");
        row("prompts produced", String.format("%,d", produced));
        row("completions", String.format("%,d", tally.completions()));
        row("dead letters", String.format("%,d  %s", tally.deadLetters(), errors()));
        row("accounted for", String.format("%,d of %,d%s", tally.accounted(), produced,
                tally.duplicates() > 0 ? String.format(" (%,d duplicates after retried writes)", tally.duplicates()) : ""));
        row("success rate", String.format("%.2f %% of calls (%,d of %,d)", 100.0 * answeredByCalls / Math.max(1, calls),
                answeredByCalls, calls));
        row("cache", String.format("%,d answered from %s's cache without a call (%,d calls saved)", tally.cached(),
                DemoRunner.SMALL_MODEL, tally.windowSum(DemoRunner.SMALL_MODEL, "calls_saved")));
        row("latency p50/p95/p99", String.format("%,d / %,d / %,d ms of calls", tally.latencyPercentile(0.50),
                tally.latencyPercentile(0.95), tally.latencyPercentile(0.99)));
        row("throughput", String.format("%.1f completions/s over %.1f s", tally.completions() / seconds, seconds));
        row("tokens", String.format("%,d prompt + %,d completion", tally.promptTokens(), tally.completionTokens()));
        row("retries", String.format("%,d extra attempts", tally.retries()));
        row("mock saw", String.format("%,d requests: %,d rate-limited (429), %,d server errors, %,d resets, %,d hangs,"
                + " %,d malformed", mock.requests(), mock.rateLimited(), serverErrors(), mock.resets(), mock.hangs(),
                mock.malformed()));
        out.println();
        out.printf("  %-12s %9s %9s %10s %10s %12s %8s%n", "model", "requests", "rpm", "rpm used", "tpm",
                "tpm used", "429s");
        for (String model : tally.windowsByModel().keySet()) {
            out.printf("  %-12s %,9d %,9d %10s %,10d %12s %,8d%n", model, tally.windowSum(model, "requests"),
                    rpm(model), percent(tally.steadyUtilization(model, "requests")), tpm(model),
                    percent(tally.steadyUtilization(model, "tokens")), tally.windowSum(model, "rate_limited_responses"));
        }
        out.println("  (used: the median 5 s window while the model was busy, as a share of its limit)");
        out.println();
        out.printf("  %-12s %11s %12s %12s %12s%n", "tenant", "completions", "dead letters", "spend_limit",
                "ledger cost");
        for (Map.Entry<String, long[]> tenant : tally.byTenant().entrySet()) {
            long[] counts = tenant.getValue();
            out.printf("  %-12s %,11d %,12d %,12d %12s%n", tenant.getKey(), counts[0], counts[1], counts[2],
                    String.format("$%.4f", counts[3] / 1e6));
        }
        out.printf("  (%s is capped at $%.2f a day: once spent, its prompts become spend_limit dead letters)%n",
                DemoPrompts.SUPPORT, DemoRunner.SUPPORT_SPEND_PER_DAY);
    }

    private String errors() {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, Long> kind : tally.errorsByKind().entrySet()) {
            text.append(text.length() == 0 ? "(" : ", ").append(kind.getKey()).append(' ').append(kind.getValue());
        }
        return text.length() == 0 ? "" : text.append(')').toString();
    }

    private long serverErrors() {
        long count = 0;
        for (Map.Entry<Integer, Long> status : mock.responsesByStatus().entrySet()) {
            if (status.getKey() >= 500) {
                count += status.getValue();
            }
        }
        return count;
    }

    private static int rpm(String model) {
        return model.equals(DemoRunner.BIG_MODEL) ? DemoRunner.BIG_RPM : DemoRunner.SMALL_RPM;
    }

    private static int tpm(String model) {
        return model.equals(DemoRunner.BIG_MODEL) ? DemoRunner.BIG_TPM : DemoRunner.SMALL_TPM;
    }

    private static String percent(double fraction) {
        return fraction < 0 ? "-" : String.format("%.1f %%", 100 * fraction);
    }

    private void row(String label, String value) {
        out.printf("  %-22s %s%n", label, value);
    }
}
