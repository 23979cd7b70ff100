package io.llmstream.cli;

import io.llmstream.local.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    private final CapturedCli cli = new CapturedCli();

    private int execute(String... args) {
        return cli.execute(args);
    }

    private String err() {
        return cli.err();
    }

    @Test
    void listsTheCommandsWithoutArguments() {
        assertThat(execute()).isEqualTo(2);
        assertThat(err()).contains("demo", "run", "mock-llm", "kafka", "produce");
    }

    @Test
    void rejectsAnUnknownCommandOrFlag() {
        assertThat(execute("launch")).isEqualTo(2);
        assertThat(err()).contains("unknown command 'launch'");

        assertThat(execute("kafka", "--prot", "9")).isEqualTo(2);
        assertThat(err()).contains("llmstream kafka: unknown flag --prot");

        assertThat(execute("kafka", "--port", "99999")).isEqualTo(2);
        assertThat(err()).contains("--port must be an integer between 0 and 65535, was '99999'");

        assertThat(execute("mock-llm", "--rpm", "abc")).isEqualTo(2);
        assertThat(err()).contains("--rpm must be a non-negative integer, was 'abc'");
    }

    @Test
    void runNeedsAConfigAndReportsAnInvalidOne() {
        assertThat(execute("run")).isEqualTo(2);
        assertThat(err()).contains("give at least one --config FILE");

        assertThat(execute("run", "--config", "does/not/exist.yaml")).isEqualTo(2);
        assertThat(err()).contains("invalid configuration: config file 'does/not/exist.yaml' does not exist");
    }

    @Test
    void runStopsWithinTheStartupTimeoutWhenNothingListensAtTheBrokerAddress(@TempDir Path directory)
            throws Exception {
        String nowhere = "127.0.0.1:" + Ports.freePort();
        Path config = Files.writeString(directory.resolve("nowhere.yaml"), String.join("\n",
                "kafka: {bootstrap-servers: '" + nowhere + "', startup-timeout: 5s}",
                "endpoints: {mock: {base-url: 'http://127.0.0.1:9/v1'}}",
                "models: {m1: {endpoint: mock}}", ""));
        long started = System.nanoTime();
        assertThat(execute("run", "--config", config.toString())).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(err()).isEqualTo("llmstream run: failed: cannot reach Kafka at " + nowhere
                + " (kafka.bootstrap-servers) within 5s: connection refused by " + nowhere + System.lineSeparator());
    }

    @Test
    void runAndDemoTakeVerbose() {
        assertThat(execute("run", "--verbose")).isEqualTo(2);
        assertThat(err()).contains("give at least one --config FILE");
        assertThat(execute("demo", "--help")).isZero();
        assertThat(cli.out()).contains("--verbose");
    }

    @Test
    void printsACommandsUsageOnHelp() {
        assertThat(execute("produce", "--help")).isZero();
        assertThat(cli.out()).contains("--sample N");
    }
}
