package io.llmstream.local.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of llmstream's own commands in a JVM of its own ({@code java -cp llmstream.jar io.llmstream.cli.Main
 * <command>}), as a user starts it, so a benchmark can measure one process's CPU apart from the broker and
 * the mock beside it. Its output goes to a file; {@link #close()} ends it.
 */
final class ChildJvm implements AutoCloseable {
    private static final String MAIN = "io.llmstream.cli.Main";

    private final String name;
    private final Process process;
    private final Path output;

    private ChildJvm(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** Starts {@code command args} of llmstream.jar with its output in {@code dir/name.out}. */
    static ChildJvm start(String name, Path dir, List<String> args) throws IOException {
        return start(name, dir, List.of(), args);
    }

    /** As above, with options for the JVM (for example a Flight Recorder profile). */
    static ChildJvm start(String name, Path dir, List<String> jvmOptions, List<String> args) throws IOException {
        return start(name, dir, System.getProperty("java.class.path"), jvmOptions, args);
    }

    /** As above, from another build of llmstream.jar (to measure an earlier version beside this one's tools). */
    static ChildJvm start(String name, Path dir, String classPath, List<String> jvmOptions, List<String> args)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, MAIN));
        command.addAll(args);
        Path output = dir.resolve(name + ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        return new ChildJvm(name, process, output);
    }

    /** Waits for a line of output matching {@code pattern}; returns its first group (or the whole match). */
    String awaitLine(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher matcher = pattern.matcher(Files.readString(output, StandardCharsets.UTF_8));
            if (matcher.find()) {
                return matcher.groupCount() > 0 ? matcher.group(1) : matcher.group();
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + tail());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException(name + " printed no line matching " + pattern + " within "
                + timeout.toSeconds() + " s: " + tail());
    }

    /** CPU time the process has used so far, user and system, in nanoseconds. */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /**
     * CPU time per thread name (Linux, from /proc; names as the kernel keeps them, at most 15 characters,
     * digits of pool numbers folded into one group); empty where /proc is not there.
     */
    Map<String, Long> cpuNanosByThread() {
        Map<String, Long> byName = new HashMap<>();
        Path tasks = Path.of("/proc", String.valueOf(process.pid()), "task");
        long nanosPerTick = 10_000_000L;  // USER_HZ is 100 on Linux
        try (var threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String comm = stat.substring(open + 1, close).replaceAll("[0-9]+", "#");
                String[] fields = stat.substring(close + 2).split(" ");
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                byName.merge(comm, ticks * nanosPerTick, Long::sum);
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return byName;
    }

    /** The last lines of its output. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
