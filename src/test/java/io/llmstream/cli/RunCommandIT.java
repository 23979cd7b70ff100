package io.llmstream.cli;

import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run} through the command line against real brokers: one on Kafka's defaults, one that allows
 * transactions of one minute only, as a broker set up stricter than the job's 15 minutes would. The start-up
 * check stops such a start in one line; with the check skipped, every failure of the job is one line and a
 * bounded run that cannot get anywhere ends with exit code 1.
 */
class RunCommandIT {
    private static final String PROMPTS = "prompts";
    private static final String REFUSED = "KafkaException: Unexpected error in InitProducerIdResponse; The transaction "
            + "timeout is larger than the maximum value allowed by the broker (as configured by "
            + "transaction.max.timeout.ms). — kafka.transaction-timeout (15m) exceeds the broker's "
            + "transaction.max.timeout.ms: lower kafka.transaction-timeout or raise the broker's maximum";

    private static EmbeddedKafkaBroker defaults;
    private static EmbeddedKafkaBroker oneMinute;
    private static MockLlmServer mock;

    @TempDir
    Path directory;
    private final CapturedCli cli = new CapturedCli();
    private boolean verbose;

    @BeforeAll
    static void start() {
        defaults = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        oneMinute = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                .withServerProperty("transaction.max.timeout.ms", "60000"));
        for (EmbeddedKafkaBroker broker : List.of(defaults, oneMinute)) {
            for (String topic : List.of(PROMPTS, "completions", "prompts-dlq", "llmstream-metrics")) {
                broker.createTopic(topic, 1);
            }
            TopicWriter.write(broker.bootstrapServers(), PROMPTS, 20,
                    i -> "{\"id\": \"r-" + i + "\", \"prompt\": \"Run " + i + "\", \"max_tokens\": 10}");
        }
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(3).build());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {mock, oneMinute, defaults}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // the next one still closes
            }
        }
    }

    @Test
    void runsABoundedJobToItsEndWithoutFailureLines() throws Exception {
        assertThat(run(defaults, "kafka: {delivery-guarantee: exactly-once}")).isZero();
        assertThat(cli.out()).contains("llmstream: finished in ", ": 20 completions, 0 dead letters")
                .doesNotContain("failure");
    }

    @Test
    void stopsAtAMissingInputTopic() throws Exception {
        assertThat(run(defaults, "kafka: {topics: {input: missing-prompts}}")).isEqualTo(1);
        assertThat(cli.err()).isEqualTo("llmstream run: failed: the input topic 'missing-prompts' (kafka.topics.input) "
                + "does not exist on " + defaults.bootstrapServers() + System.lineSeparator());
    }

    @Test
    void stopsAtABrokerThatAllowsShorterTransactions() throws Exception {
        assertThat(run(oneMinute, "kafka: {delivery-guarantee: exactly-once}")).isEqualTo(1);
        assertThat(cli.err()).isEqualTo("llmstream run: failed: kafka.transaction-timeout (15m) is longer than the "
                + "broker's transaction.max.timeout.ms (1m) at " + oneMinute.bootstrapServers() + ": lower "
                + "kafka.transaction-timeout or raise the broker's maximum" + System.lineSeparator());
        assertThat(cli.out()).doesNotContain("reading prompts");
    }

    @Test
    void withoutTheCheckABoundedRunPrintsEveryFailureAndGivesUp() throws Exception {
        verbose = true;
        assertThat(run(oneMinute, "kafka: {delivery-guarantee: exactly-once, startup-timeout: 0}",
                "job: {restart: {initial-delay: 100ms, max-delay: 200ms, give-up-after: 3}}")).isEqualTo(1);

        List<String> failures = cli.out().lines().filter(line -> line.contains("] failure ")).toList();
        assertThat(failures).hasSize(3);
        assertThat(failures.get(0)).matches("llmstream: \\[\\d+\\.\\ds] failure 1: '[^']+' failed: .*")
                .endsWith(" failed: " + REFUSED + "; restarting in ~100ms");
        assertThat(failures.get(1)).contains("failure 2: ").endsWith(REFUSED + "; restarting in ~200ms");
        assertThat(failures.get(2)).contains("failure 3: ").endsWith(REFUSED + "; giving up: 3 failures in a row "
                + "without a completed checkpoint (job.restart.give-up-after: 3)");
        assertThat(cli.out()).contains("llmstream: Kafka not checked before the start (kafka.startup-timeout: 0)")
                .as("--verbose prints the stack traces").contains(System.lineSeparator() + "org.apache.kafka.common."
                        + "KafkaException: Unexpected error in InitProducerIdResponse", "\tat org.apache.kafka.");
        assertThat(cli.err()).isEqualTo("llmstream run: failed: gave up after 3 failures in a row without a completed "
                + "checkpoint (job.restart.give-up-after: 3); the last: " + REFUSED + System.lineSeparator());
    }

    @Test
    void aJobThatFailsEndsWithItsRootCause() throws Exception {
        assertThat(run(oneMinute, "kafka: {delivery-guarantee: exactly-once, startup-timeout: 0}",
                "job: {restart: {strategy: none}}")).isEqualTo(1);
        assertThat(cli.err()).isEqualTo("llmstream run: failed: the job failed: " + REFUSED + System.lineSeparator());
        assertThat(cli.out()).as("no stack traces without --verbose").doesNotContain("\tat ");
    }

    /** {@code run --config base.yaml --config more.yaml}: the broker, the mock, a bounded job, then the test's own. */
    private int run(EmbeddedKafkaBroker broker, String... moreYaml) throws Exception {
        Path base = Files.writeString(directory.resolve("base.yaml"), String.join("\n",
                "kafka: {bootstrap-servers: '" + broker.bootstrapServers() + "', starting-offsets: earliest,"
                        + " startup-timeout: 10s}",
                "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [test-key]}}",
                "models: {m1: {endpoint: mock, rpm: 60000}}",
                "job: {bounded: true, checkpoint-interval: 1s}", ""));
        Path more = Files.writeString(directory.resolve("more.yaml"), String.join("\n", moreYaml) + "\n");
        return verbose
                ? cli.execute("run", "--config", base.toString(), "--config", more.toString(), "--verbose")
                : cli.execute("run", "--config", base.toString(), "--config", more.toString());
    }
}
