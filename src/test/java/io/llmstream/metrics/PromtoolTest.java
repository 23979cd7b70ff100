package io.llmstream.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The alert rules and the Prometheus configuration through Prometheus's own checker, {@code promtool}: the
 * rules parse and their PromQL is valid, every alert fires on the series of its unit tests
 * ({@code deploy/prometheus-alerts.test.yaml}) with its annotations rendered, and the scrape configuration
 * loads with the rules. Skipped where promtool is not installed (Debian: {@code apt-get install prometheus});
 * {@link ObservabilityFilesTest} checks the names everywhere.
 */
class PromtoolTest {
    private static final Path ALERTS = Path.of("deploy/prometheus-alerts.yaml");
    private static final Path ALERT_TESTS = Path.of("deploy/prometheus-alerts.test.yaml");
    private static final Path CONFIG = Path.of("deploy/prometheus.yaml");

    private static final Path PROMTOOL = onPath("promtool");

    /** Per test, so each shows as skipped with the reason (an assumption in @BeforeAll hides the tests). */
    @BeforeEach
    void requirePromtool() {
        assumeTrue(PROMTOOL != null, "promtool is not installed (Debian: apt-get install prometheus); the alert"
                + " rules and deploy/prometheus.yaml are checked by ObservabilityFilesTest only");
    }

    @Test
    void alertRulesPassPromtoolCheckRules() throws Exception {
        int rules = 0;
        for (JsonNode group : new YAMLMapper().readTree(ALERTS.toFile()).path("groups")) {
            rules += group.path("rules").size();
        }
        Result result = promtool("check", "rules", ALERTS.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + rules + " rules found");
    }

    @Test
    void everyAlertFiresOnItsUnitTestSeries() throws Exception {
        Result result = promtool("test", "rules", ALERT_TESTS.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void alertUnitTestsCoverEveryAlert() throws IOException {
        List<String> alerts = new ArrayList<>();
        new YAMLMapper().readTree(ALERTS.toFile()).path("groups").forEach(group -> group.path("rules")
                .forEach(rule -> alerts.add(rule.path("alert").asText())));
        List<String> firing = new ArrayList<>();
        for (JsonNode test : new YAMLMapper().readTree(ALERT_TESTS.toFile()).path("tests")) {
            for (JsonNode expected : test.path("alert_rule_test")) {
                if (!expected.path("exp_alerts").isEmpty()) {
                    firing.add(expected.path("alertname").asText());
                }
            }
        }
        assertThat(firing).as("alerts expected to fire in " + ALERT_TESTS).containsAll(alerts);
    }

    @Test
    void prometheusConfigurationPassesPromtoolCheckConfig() throws Exception {
        Result result = promtool("check", "config", CONFIG.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + CONFIG + " is valid prometheus config file syntax")
                .contains("SUCCESS: 1 rule files found");
    }

    private record Result(int exitCode, String output) {}

    private static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(PROMTOOL.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not end within 60 s");
        }
        return new Result(process.exitValue(), output);
    }

    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
