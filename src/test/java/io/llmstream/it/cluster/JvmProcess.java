package io.llmstream.it.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One child JVM of a test: a main class on a class path, its standard output and error in one file, and
 * the two ways a process ends in production, SIGTERM ({@link #stop}) and SIGKILL ({@link #kill}).
 */
public final class JvmProcess {
    private final String name;
    private final Process process;
    private final Path output;

    private JvmProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /**
     * Starts {@code java [jvmOptions] -cp classPath mainClass [args]} in {@code workDir} with the extra
     * environment, writing its standard output and error to {@code output} and its command line to
     * {@code <name>.command} beside it.
     */
    static JvmProcess start(String name, List<Path> classPath, List<String> jvmOptions, String mainClass,
            List<String> args, Map<String, String> environment, Path workDir, Path output) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-classpath");
        command.add(classPath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        try {
            Files.writeString(output.resolveSibling(name + ".command"), String.join(" \\\n  ", command) + "\n");
            return new JvmProcess(name, builder.start(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file with the process's standard output and error. */
    public Path output() {
        return output;
    }

    /** The last lines the process wrote to its standard output and error. */
    public String outputTail(int lines) {
        try {
            List<String> all = Files.readAllLines(output, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + output + ": " + e.getMessage() + ")";
        }
    }

    /** Waits for the process to end by itself; its exit code, or empty if it still runs after the timeout. */
    OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                ? OptionalInt.of(process.exitValue())
                : OptionalInt.empty();
    }

    /** {@code kill -9}: the process ends at once, without its shutdown hooks, and is waited for. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + pid() + ") still runs 30 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code kill}: SIGTERM, so the process shuts down cleanly; SIGKILL if it has not ended within the grace. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + (isAlive() ? "" : ", ended") + ")";
    }
}
