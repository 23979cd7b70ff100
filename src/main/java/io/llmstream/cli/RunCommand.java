package io.llmstream.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code run}: the job on an embedded local Flink, against the Kafka and endpoints in the configuration. */
final class RunCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(), Set.of("config"));
        JobRunner.run(parsed.all("config"), out);
        return 0;
    }

    @Override
    public String summary() {
        return "run the job on a local embedded Flink (--config FILE, repeatable)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar run --config FILE [--config FILE ...]\n"
                + "  --config FILE   YAML configuration; later files override earlier ones key by key";
    }
}
