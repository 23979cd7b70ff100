package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.local.demo.DemoRunner;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code demo}: everything embedded, end to end. */
final class DemoCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(Verbosity.FLAG), Set.of(Verbosity.FLAG));
        return new DemoRunner(out, Verbosity.apply(parsed)).run();
    }

    @Override
    public String summary() {
        return "broker, mock LLM and job embedded: 2,000 prompts end to end, then a summary";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar demo [--verbose]\n"
                + "  Starts a Kafka broker, the mock LLM (rate limits, latency, faults) and the job in this process,\n"
                + "  produces 2,000 prompts (a few deliberately bad), shows progress and ends with a summary.\n"
                + "  Exits 0 once every prompt is accounted for as a completion or a dead letter; prints a line\n"
                + "  for every failure of the job.\n"
                + Verbosity.USAGE;
    }
}
