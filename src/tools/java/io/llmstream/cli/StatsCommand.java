package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.observe.StatsMonitor;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code stats}: the latest metrics window of each model as a table, like {@code top}, or once. */
final class StatsCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Set<String> known = new HashSet<>(MetricsFlags.NAMES);
        known.addAll(Set.of("once", "window-seconds"));
        Args parsed = Args.parse(args, Set.of("once"), known);
        MetricsFlags flags = MetricsFlags.read(parsed);
        StatsMonitor monitor = new StatsMonitor(flags.topic(), flags.window(), out);
        if (parsed.has("once")) {
            monitor.printLatest();
        } else {
            monitor.follow(System.console() != null);
        }
        return 0;
    }

    @Override
    public String summary() {
        return "show the latest metrics window of each model, live like top (or --once)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar stats [--bootstrap-servers 127.0.0.1:9092] [--topic llmstream-metrics]\n"
                + "                                  [--config FILE ...] [--once] [--window-seconds 10]\n"
                + "  Reads the job's metrics topic from a few minutes back and shows each model's latest window:\n"
                + "  requests/s, success rate, p50/p95/p99 latency, 429 responses, errors by kind, utilization of\n"
                + "  the rpm and tpm limits, tokens/s and cost. On a terminal the table is redrawn every "
                + StatsMonitor.REFRESH.toSeconds() + " s;\n"
                + "  otherwise one table is printed per new window. Ctrl-C quits.\n"
                + MetricsFlags.USAGE + "\n"
                + "  --once                   print the latest window of each model and exit; exit code 1 if no\n"
                + "                           window arrives within " + StatsMonitor.ONCE_TIMEOUT.toSeconds()
                + " s\n"
                + "  --window-seconds N       the job's metrics window; default metrics.window of --config, else 10.\n"
                + "                           A model without a newer window for 3 windows is marked stale";
    }
}
