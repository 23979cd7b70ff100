package io.llmstream.cli;

import java.io.PrintStream;
import java.util.List;

/** {@code demo}: everything embedded, end to end. */
final class DemoCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) {
        throw new Args.UsageException("not yet");
    }

    @Override
    public String summary() {
        return "broker, mock LLM and job embedded: 2,000 prompts end to end, then a summary";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar demo";
    }
}
