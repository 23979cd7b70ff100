package io.llmstream.cli;

import io.llmstream.config.ConfigException;
import io.llmstream.job.Args;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code llmstream} command: {@code java -jar target/llmstream.jar <command> [flags]}. Exit codes:
 * 0 done, 1 failed, 2 wrong command line or configuration.
 */
public final class Main {
    /** The command line's logging configuration: llmstream's own lines, errors of Flink and Kafka. */
    static final String LOGGING = "llmstream-log4j2.properties";
    static final String LOGGING_PROPERTY = "log4j2.configurationFile";

    static {
        // Before any logger exists: quiet Flink and Kafka, keep llmstream's own lines.
        if (System.getProperty(LOGGING_PROPERTY) == null && System.getProperty("log4j.configurationFile") == null) {
            System.setProperty(LOGGING_PROPERTY, LOGGING);
        }
    }

    /** A subcommand. */
    interface Command {
        /** Runs with the flags after the command's name; returns the exit code. */
        int run(List<String> args, PrintStream out) throws Exception;

        String summary();

        String usage();
    }

    private Main() {}

    static Map<String, Command> commands() {
        Map<String, Command> commands = new LinkedHashMap<>();
        commands.put("demo", new DemoCommand());
        commands.put("run", new RunCommand());
        commands.put("mock-llm", new MockLlmCommand());
        commands.put("kafka", new KafkaCommand());
        commands.put("produce", new ProduceCommand());
        commands.put("consume", new ConsumeCommand());
        commands.put("bench", new BenchCommand());
        commands.put("stats", new StatsCommand());
        commands.put("report", new ReportCommand());
        return commands;
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    static int execute(String[] args, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            printUsage(commands, args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        Command command = commands.get(args[0]);
        if (command == null) {
            err.println("llmstream: unknown command '" + args[0] + "'");
            printUsage(commands, err);
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("--help")) {
            out.println(command.usage());
            return 0;
        }
        try {
            return command.run(rest, out);
        } catch (Args.UsageException e) {
            err.println("llmstream " + args[0] + ": " + e.getMessage());
            err.println();
            err.println(command.usage());
            return 2;
        } catch (ConfigException e) {
            err.println("llmstream " + args[0] + ": invalid configuration: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("llmstream " + args[0] + ": failed: " + e);
            return 1;
        }
    }

    private static void printUsage(Map<String, Command> commands, PrintStream out) {
        out.println("usage: java -jar llmstream.jar <command> [flags]   (<command> --help for its flags)");
        out.println();
        commands.forEach((name, command) -> out.printf("  %-10s %s%n", name, command.summary()));
    }
}
