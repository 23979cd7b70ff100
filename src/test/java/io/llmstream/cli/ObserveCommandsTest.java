package io.llmstream.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The command lines of {@code stats} and {@code report} that fail before any Kafka is needed. */
class ObserveCommandsTest {
    private final CapturedCli cli = new CapturedCli();

    private int execute(String... args) {
        return cli.execute(args);
    }

    private String err() {
        return cli.err();
    }

    @Test
    void listsBothCommandsAndPrintsTheirUsage() {
        assertThat(execute("help")).isZero();
        assertThat(cli.out()).contains("  stats ", "  report ");

        assertThat(execute("stats", "--help")).isZero();
        assertThat(execute("report", "--help")).isZero();
        assertThat(cli.out()).contains("--once", "--window-seconds", "--from T", "--out FILE");
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
