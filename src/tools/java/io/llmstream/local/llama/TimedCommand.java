package io.llmstream.local.llama;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of an external command with its output in a file and a time limit, after which it is killed.
 *
 * @param exitCode the command's exit code, or -1 when it was killed for its time
 * @param timedOut whether it ran out of time
 * @param output its standard output and error, line by line
 */
record TimedCommand(int exitCode, boolean timedOut, List<String> output) {

    /** Runs a prepared process, its output going to {@code log}, and waits at most {@code limit}. */
    static TimedCommand run(ProcessBuilder command, Path log, Duration limit) throws IOException, InterruptedException {
        Process process = command.redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean finished = process.waitFor(Math.max(limit.toMillis(), 1), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
        return new TimedCommand(finished ? process.exitValue() : -1, !finished, output);
    }

    boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    /**
     * The line that best says what went wrong, for a one-line reason: apt's or dpkg's first error, else
     * its first failed fetch or warning, else the last line.
     */
    String firstComplaint() {
        for (String prefix : List.of("E: ", "dpkg-deb: error", "W: Failed to fetch", "Err:", "W: ")) {
            for (String line : output) {
                if (line.startsWith(prefix)) {
                    return line.strip();
                }
            }
        }
        return output.isEmpty() ? "(no output)" : output.get(output.size() - 1).strip();
    }
}
