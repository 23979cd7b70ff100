package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;

import java.io.PrintStream;
import java.util.List;

/** {@code mock-llm}: the OpenAI-compatible mock server, until Ctrl-C. */
final class MockLlmCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        MockOptions options;
        try {
            options = MockOptions.parseArgs(args);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        MockLlmServer.runUntilInterrupted(options, out);
        return 0;
    }

    @Override
    public String summary() {
        return "an OpenAI-compatible mock LLM server with rate limits and faults (--port 8089)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar mock-llm [flags]\n" + MockOptions.usage();
    }
}
