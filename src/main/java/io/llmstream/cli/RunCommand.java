package io.llmstream.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code run}: the job on an embedded local Flink, against the Kafka and endpoints in the configuration. */
final class RunCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(Verbosity.FLAG), Set.of("config", Verbosity.FLAG));
        JobRunner.runLocal(parsed.all("config"), Verbosity.apply(parsed), out);
        return 0;
    }

    @Override
    public String summary() {
        return "run the job on a local embedded Flink (--config FILE, repeatable)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar run --config FILE [--config FILE ...] [--verbose]\n"
                + "  --config FILE   YAML configuration; later files override earlier ones key by key\n"
                + Verbosity.USAGE + "\n"
                + "  Checks Kafka first (kafka.startup-timeout), then prints one line per failure or restart.\n"
                + "  Exit codes: 0 finished (bounded) or cancelled, 1 Kafka cannot take the job, the job failed or a\n"
                + "  bounded run gave up (job.restart.give-up-after), 2 wrong command line or configuration.";
    }
}
