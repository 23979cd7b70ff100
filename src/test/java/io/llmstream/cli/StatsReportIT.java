package io.llmstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code stats --once} and {@code report} through the command line against a real broker holding metric
 * records: three windows of two models (one priced, one from a writer without {@code cost_usd}) and a record
 * that is no window. Lives in the cli package because {@link Main#execute} is package-private.
 */
class StatsReportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private static EmbeddedKafkaBroker kafka;
    /** Where the last of the three windows starts. */
    private static Instant lastWindow;

    @TempDir
    Path directory;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void writeThreeWindowsOfTwoModels() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        kafka.createTopic("llmstream-metrics", 2);
        kafka.createTopic("other-metrics", 1);
        Instant first = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(2, ChronoUnit.MINUTES);
        lastWindow = first.plusSeconds(20);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Instant start = first.plusSeconds(10L * i);
            records.add(window("gpt-4o", start, 100, 98 - i, 300 + 100 * i).put("cost_usd", 0.25).toString());
            records.add(window("gpt-4o-mini", start, 500, 500, 120).toString());
        }
        records.add("{\"id\": \"r-1\", \"content\": \"a completion on the wrong topic\"}");
        TopicWriter.write(kafka.bootstrapServers(), "llmstream-metrics", records);
        TopicWriter.write(kafka.bootstrapServers(), "other-metrics",
                List.of(window("claude", lastWindow, 10, 10, 90).toString()));
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** A record as the job writes it, without the cost field. */
    private static ObjectNode window(String model, Instant start, int requests, int succeeded, int p95) {
        ObjectNode json = JSON.createObjectNode()
                .put("window_start", start.toString())
                .put("window_end", start.plusSeconds(10).toString())
                .put("model", model)
                .put("requests", requests)
                .put("succeeded", succeeded)
                .put("failed", requests - succeeded)
                .put("success_rate", (double) succeeded / requests);
        if (requests > succeeded) {
            json.putObject("errors").put("server_error", requests - succeeded);
        } else {
            json.putObject("errors");
        }
        json.putObject("latency_ms").put("p50", 100).put("p95", p95).put("p99", p95 + 50).put("max", p95 + 80);
        json.put("budget_wait_p95_ms", 20);
        json.putObject("tokens").put("prompt", requests * 30).put("completion", requests * 20)
                .put("charged", requests * 90);
        json.put("throughput_per_second", requests / 10.0).put("attempts", requests).put("rate_limited_responses", 0);
        json.putObject("utilization").put("requests", 0.5).putNull("tokens");
        json.putObject("keys");
        return json;
    }

    private int execute(String... args) {
        out.reset();
        err.reset();
        return Main.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void statsOncePrintsTheLatestWindowOfEachModel() {
        assertThat(execute("stats", "--once", "--bootstrap-servers", kafka.bootstrapServers())).as(err()).isZero();

        String window = TIME.format(lastWindow) + "-" + TIME.format(lastWindow.plusSeconds(10));
        assertThat(out()).startsWith("Latest window of each model in topic llmstream-metrics on "
                + kafka.bootstrapServers() + " (times UTC):\n");
        assertThat(out().lines().filter(line -> line.startsWith("gpt-4o ")).findFirst().orElseThrow())
                .contains(window, "10.0", "96.0%", "500", "5xx:4", "50.0%", "500.0", "$0.2500");
        assertThat(out().lines().filter(line -> line.startsWith("gpt-4o-mini ")).findFirst().orElseThrow())
                .contains(window, "50.0", "100.0%", "120", "2,500").endsWith(" -");
    }

    @Test
    void statsTakesTheTopicAndBrokerFromTheJobsConfiguration() throws Exception {
        Path config = directory.resolve("job.yaml");
        Files.writeString(config, "kafka: {bootstrap-servers: \"" + kafka.bootstrapServers() + "\", "
                + "topics: {metrics: other-metrics}}\n"
                + "endpoints: {local: {base-url: \"http://127.0.0.1:1/v1\"}}\n"
                + "models: {claude: {endpoint: local}}\n");

        assertThat(execute("stats", "--once", "--config", config.toString())).as(err()).isZero();

        assertThat(out()).contains("topic other-metrics on " + kafka.bootstrapServers()).contains("claude ")
                .doesNotContain("gpt-4o");
    }

    @Test
    void statsFailsClearlyWithoutMetrics() {
        assertThat(execute("stats", "--once", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "nothing"))
                .isEqualTo(1);

        assertThat(err()).contains("llmstream stats: failed: topic nothing does not exist on "
                + kafka.bootstrapServers());
    }

    @Test
    void reportWritesOneHtmlFileWithEveryModel() throws Exception {
        Path report = directory.resolve("report.html");

        assertThat(execute("report", "--from", "-1h", "--to", "now", "--out", report.toString(),
                "--bootstrap-servers", kafka.bootstrapServers())).as(err()).isZero();

        assertThat(out()).isEqualTo("report: wrote " + report.toAbsolutePath() + "\n"
                + "report: 2 models, 6 windows: 1,800 requests, 99.5% succeeded, 90,000 tokens, "
                + "cost $0.7500 (partial), worst p95 500 ms (gpt-4o at " + DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                .withZone(ZoneOffset.UTC).format(lastWindow) + " UTC)\n");
        String html = Files.readString(report);
        assertThat(html).contains("<h2>gpt-4o</h2>", "<h2>gpt-4o-mini</h2>").doesNotContainIgnoringCase("http");
        assertThat(html.split("<svg ", -1)).hasSize(2 * 4 + 1);
    }

    @Test
    void reportFailsWhenTheRangeHoldsNoWindow() {
        assertThat(execute("report", "--from", "2020-01-01T00:00:00Z", "--to", "2020-01-02T00:00:00Z",
                "--out", directory.resolve("empty.html").toString(), "--bootstrap-servers", kafka.bootstrapServers()))
                .isEqualTo(1);

        assertThat(err()).contains("llmstream report: failed: no metrics windows starting from 2020-01-01T00:00:00Z "
                + "to 2020-01-02T00:00:00Z in topic llmstream-metrics");
        assertThat(directory.resolve("empty.html")).doesNotExist();
    }

    @Test
    void reportRejectsARangeThatEndsBeforeItStarts() {
        assertThat(execute("report", "--from", "now", "--to", "-1h")).isEqualTo(2);

        assertThat(err()).contains("llmstream report: --from must be before --to");
    }
}
