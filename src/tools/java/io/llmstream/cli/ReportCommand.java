package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.observe.HtmlReport;
import io.llmstream.observe.MetricsHistory;
import io.llmstream.observe.MetricsWindow;
import io.llmstream.observe.TimeArgument;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code report}: the metrics windows of a time range as one self-contained HTML file with charts. */
final class ReportCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Set<String> known = new HashSet<>(MetricsFlags.NAMES);
        known.addAll(Set.of("from", "to", "out"));
        Args parsed = Args.parse(args, Set.of(), known);
        if (!parsed.has("from")) {
            throw new Args.UsageException("give --from, e.g. --from -1h or --from 2026-11-24T08:00:00Z");
        }
        Instant now = Instant.now();
        Instant from = time(parsed, "from", null, now);
        Instant to = time(parsed, "to", "now", now);
        if (!from.isBefore(to)) {
            throw new Args.UsageException("--from must be before --to, was " + from + " and " + to);
        }
        Path file = Path.of(parsed.get("out", "report.html")).toAbsolutePath();
        if (!Files.isDirectory(file.getParent())) {
            throw new Args.UsageException("--out must be in an existing directory, " + file.getParent()
                    + " does not exist");
        }
        MetricsFlags flags = MetricsFlags.read(parsed);
        List<MetricsWindow> windows = MetricsHistory.read(flags.topic(), from, to);
        Files.writeString(file, HtmlReport.render(windows, from, to), StandardCharsets.UTF_8);
        out.println("report: wrote " + file);
        out.println("report: " + HtmlReport.summaryLine(windows));
        return 0;
    }

    private static Instant time(Args parsed, String flag, String defaultValue, Instant now) {
        try {
            return TimeArgument.parse(flag, parsed.get(flag, defaultValue), now);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    @Override
    public String summary() {
        return "write the metrics of a time range as one HTML file with charts";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar report --from -1h [--to now] [--out report.html]\n"
                + "                                   [--bootstrap-servers 127.0.0.1:9092] [--topic llmstream-metrics]"
                + " [--config FILE ...]\n"
                + "  Reads the windows that start in [--from, --to) and writes one HTML file that needs nothing else\n"
                + "  (no scripts, style sheets or fonts): per model, throughput, latency, errors by kind and\n"
                + "  utilization over time, and a summary table. Exit code 1 if the range holds no window.\n"
                + "  --from T                 now, relative to now (-90s, -15m, -1h, -2d, -1w) or ISO-8601\n"
                + "                           (2026-11-24T08:00:00Z; without a zone, UTC)\n"
                + "  --to T                   the same forms; default now\n"
                + "  --out FILE               default report.html\n"
                + MetricsFlags.USAGE;
    }
}
