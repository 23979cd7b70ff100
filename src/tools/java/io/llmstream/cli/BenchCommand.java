package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.local.bench.Benchmarks;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** {@code bench}: the rate-limit benchmark scenarios against the mock, with a summary table. */
final class BenchCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(), Set.of("scenario", "seconds", "backlog-seconds"));
        Duration duration = Duration.ofSeconds(parsed.getInt("seconds", 120, 30, 3600));
        Duration backlog = Duration.ofSeconds(parsed.getInt("backlog-seconds", 600, 30, 7200));
        return new Benchmarks(out).run(parsed.get("scenario", "all"), duration, backlog);
    }

    @Override
    public String summary() {
        return "benchmark the rate limits against the mock and the faults (about 30 minutes for all scenarios)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar bench [--scenario all|" + Benchmarks.NAMES + "] [--seconds 120]"
                + " [--backlog-seconds 600]\n"
                + "  Each scenario starts a Kafka broker, the mock with its real limits and the job, keeps the job\n"
                + "  saturated for --seconds (the backlog scenario for --backlog-seconds) and reports the share of\n"
                + "  the limits used over the steady part (after 20 s), 429s, latency and budget waits.";
    }
}
