package io.llmstream.cli;

import org.junit.jupiter.api.Test;

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
    void printsACommandsUsageOnHelp() {
        assertThat(execute("produce", "--help")).isZero();
        assertThat(cli.out()).contains("--sample N");
    }
}
