package io.llmstream.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The command lines of {@code stats} and {@code report} that fail before any Kafka is needed. */
class ObserveCommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int execute(String... args) {
        return Main.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listsBothCommandsAndPrintsTheirUsage() {
        assertThat(execute("help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("  stats ", "  report ");

        assertThat(execute("stats", "--help")).isZero();
        assertThat(execute("report", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--once", "--window-seconds", "--from T", "--out FILE");
    }

    @Test
    void reportNeedsAFromThatItCanRead() {
        assertThat(execute("report")).isEqualTo(2);
        assertThat(err()).contains("llmstream report: give --from, e.g. --from -1h or --from 2026-11-24T08:00:00Z");

        assertThat(execute("report", "--from", "an hour ago")).isEqualTo(2);
        assertThat(err()).contains("llmstream report: --from must be now, a time relative to now like -1h");
    }

    @Test
    void reportWantsItsFileInAnExistingDirectory() {
        assertThat(execute("report", "--from", "-1h", "--out", "no/such/directory/report.html")).isEqualTo(2);
        assertThat(err()).contains("--out must be in an existing directory").contains("no/such/directory does not exist");
    }

    @Test
    void statsRejectsAWindowOutOfRange() {
        assertThat(execute("stats", "--once", "--window-seconds", "0")).isEqualTo(2);
        assertThat(err()).contains("llmstream stats: --window-seconds must be an integer between 1 and 86400, was '0'");
    }
}
