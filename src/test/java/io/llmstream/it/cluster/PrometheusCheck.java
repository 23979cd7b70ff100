package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.metrics.PrometheusNames;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the monitoring files against real tools and a real job: starts the Kafka broker and the mock,
 * a standalone cluster of separate JVMs (a JobManager, two TaskManagers) with Flink's Prometheus reporter
 * configured by {@code conf/flink-prometheus.yaml}, submits the job jar with {@code flink run}, and a real
 * {@code prometheus} configured by {@code deploy/prometheus.yaml} (the cluster's ports as targets, the alert
 * rules loaded). After a while of traffic it runs every query of {@code deploy/grafana-dashboard.json} and
 * every alert expression of {@code deploy/prometheus-alerts.yaml} and prints what each returned.
 *
 * <p>The traffic is made for it: {@code gpt-4o-mini} healthy at its limit; {@code gpt-4o} with a fifth of
 * its prompts refused (400), some answering in 12 s, some 429s, 5xx and quota errors (fallbacks); a
 * {@code gpt-4.1-mini} whose every request fails with 500, so its circuit opens; and a second API key the
 * provider refuses. Every alert then has something to fire on.
 *
 * <p>Run by {@code deploy/check-prometheus.sh}; exit code 0 when every dashboard query returns series and
 * every alert rule evaluates without error, 1 otherwise, 2 when prometheus is not installed.
 */
public final class PrometheusCheck {
    private static final Path DASHBOARD = Path.of("deploy/grafana-dashboard.json");
    private static final Path ALERTS = Path.of("deploy/prometheus-alerts.yaml");
    private static final Path PROMETHEUS_CONFIG = Path.of("deploy/prometheus.yaml");
    private static final Path REPORTER_CONFIG = Path.of("conf/flink-prometheus.yaml");
    private static final Path JOB_JAR = Path.of("target/llmstream-job.jar");
    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(2);
    /** Grafana's $__rate_interval at a 2 s scrape interval is at least 8 s; this leaves room. */
    private static final Duration RATE_INTERVAL = Duration.ofSeconds(30);
    private static final Pattern METRIC = Pattern.compile("flink_[A-Za-z0-9_:]+");
    private static final Pattern WINDOW = Pattern.compile("\\[(\\d+)([smh])]");
    private static final int MINI_RPM = 1200;
    private static final int GPT4O_RPM = 600;

    private final PrintStream out;
    private final Duration traffic;
    private final Path dir = Path.of("target", "cluster", "PrometheusCheck").toAbsolutePath();

    private PrometheusCheck(PrintStream out, Duration traffic) {
        this.out = out;
        this.traffic = traffic;
    }

    public static void main(String[] args) throws Exception {
        Duration traffic = Duration.ofSeconds(90);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--traffic-seconds") && i + 1 < args.length) {
                traffic = Duration.ofSeconds(Long.parseLong(args[++i]));
            } else {
                System.err.println("usage: PrometheusCheck [--traffic-seconds N]   (default 90)");
                System.exit(2);
            }
        }
        System.exit(new PrometheusCheck(System.out, traffic).run());
    }

    private int run() throws Exception {
        Optional<Path> prometheus = PrometheusServer.onPath("prometheus");
        if (prometheus.isEmpty()) {
            out.println("prometheus is not installed (Debian: apt-get install prometheus); nothing checked");
            return 2;
        }
        if (!Files.isRegularFile(JOB_JAR)) {
            out.println(JOB_JAR + " is missing: mvn -B -q package -DskipTests");
            return 2;
        }
        MockOptions mockOptions = MockOptions.builder().port(0).latencyMs(50).seed(9)
                .revokedKeys(List.of("key-refused"))
                .limit(MockOptions.ANY, "gpt-4o-mini", MINI_RPM, 1_000_000)
                .limit(MockOptions.ANY, "gpt-4o", GPT4O_RPM, 1_000_000)
                .build();
        long started = System.nanoTime();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(mockOptions);
                StandaloneCluster cluster = StandaloneCluster.builder(dir).taskManagers(2)
                        .prometheusReporter(REPORTER_CONFIG).start()) {
            out.println("cluster up: REST " + cluster.rest().base() + ", metrics " + cluster.metricsEndpoints()
                    + ", logs " + cluster.directory().resolve("log"));
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            // Enough backlog for the whole check at the models' limits (the job never runs dry).
            int prompts = (int) ((traffic.toSeconds() + 180) * (MINI_RPM + GPT4O_RPM) / 60);
            TopicWriter.write(kafka.bootstrapServers(), "prompts", prompts, PrometheusCheck::prompt);
            Path jobConfig = writeJobConfig(kafka.bootstrapServers(), mock.baseUrl());
            String job = cluster.submitDetached(JOB_JAR, List.of("--config",
                    Path.of("conf/llmstream.yaml").toAbsolutePath().toString(), "--config", jobConfig.toString()));
            out.println("job " + job + " submitted with flink run; " + prompts + " prompts queued");
            try (PrometheusServer server = PrometheusServer.start(prometheus.get(),
                    writePrometheusConfig(cluster.metricsEndpoints().values()), dir.resolve("prometheus"))) {
                out.println(server);
                awaitSeries(server, Duration.ofMinutes(3));
                out.printf("llmstream's series scraped; %d s of traffic before the queries%n", traffic.toSeconds());
                Thread.sleep(traffic.toMillis());
                Duration range = Duration.ofNanos(System.nanoTime() - started);
                int problems = report(server, range);
                out.println("mock: " + mock.stats().summary());
                return problems == 0 ? 0 : 1;
            } finally {
                cluster.rest().cancel(job);
            }
        }
    }

    /** The i-th prompt: two for gpt-4o-mini, one for gpt-4o (a mix of faults), now and then a broken model's. */
    private static String prompt(int i) {
        if (i % 100 == 50 && i < 2000) {
            return "{\"id\": \"b-" + i + "\", \"model\": \"gpt-4.1-mini\", \"prompt\": \"[[mock:500x*]] Broken " + i
                    + "\", \"max_tokens\": 20}";
        }
        if (i % 3 != 0) {
            return "{\"id\": \"m-" + i + "\", \"tenant\": \"mini-team\", \"prompt\": \"Mini " + i
                    + "\", \"max_tokens\": 20}";
        }
        String directive = switch (i / 3 % 40) {
            case 0, 1, 2, 3, 4, 5, 6, 7 -> "[[mock:400]] ";                       // a fifth refused: dead letters
            case 8, 9, 10, 11 -> "[[mock:slow(ms=12000)]] ";                       // a tenth takes 12 s
            case 12 -> "[[mock:429x1(retry-after-ms=50)]] ";                       // 429s
            case 13, 14 -> "[[mock:500x1]] ";                                      // retries
            case 15 -> "[[mock:insufficient_quota]] ";                             // fallback to gpt-4o-mini
            default -> "";
        };
        return "{\"id\": \"o-" + i + "\", \"tenant\": \"big-team\", \"model\": \"gpt-4o\", \"prompt\": \"" + directive + "Four " + i
                + "\", \"max_tokens\": 20}";
    }

    private Path writeJobConfig(String bootstrapServers, String mockUrl) throws IOException {
        Path file = dir.resolve("prometheus-check.yaml");
        Files.writeString(file, String.join("\n",
                "kafka: {bootstrap-servers: '" + bootstrapServers + "', starting-offsets: earliest}",
                "endpoints:",
                "  openai:",
                "    base-url: '" + mockUrl + "'",
                "    api-keys: [{key: key-good, id: good}, {key: key-refused, id: refused}]",
                "models:",
                "  gpt-4o-mini: {rpm: " + MINI_RPM + ", tpm: 1000000, price: {input: 0.15, output: 0.60}}",
                "  gpt-4o: {rpm: " + GPT4O_RPM + ", tpm: 1000000, price: {input: 2.50, output: 10.00}}",
                "  gpt-4.1-mini: {endpoint: openai, rpm: 60, tpm: 100000, price: {input: 0.40, output: 1.60}}",
                // Two teams, one with a spend cap, for the dashboard's tenant row.
                "tenants: {mini-team: {weight: 1}, big-team: {weight: 2, spend-per-day: 1000}}",
                "job: {bounded: false, parallelism: 2, checkpoint-interval: 10s}",
                ""));
        return file;
    }

    /** deploy/prometheus.yaml with this cluster's targets, a 2 s scrape interval and the rules by absolute path. */
    private Path writePrometheusConfig(Collection<String> targets) throws IOException {
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode config = (ObjectNode) yaml.readTree(PROMETHEUS_CONFIG.toFile());
        ObjectNode global = (ObjectNode) config.path("global");
        global.put("scrape_interval", SCRAPE_INTERVAL.toSeconds() + "s");
        global.put("evaluation_interval", SCRAPE_INTERVAL.toSeconds() + "s");
        ArrayNode rules = config.putArray("rule_files");
        rules.add(ALERTS.toAbsolutePath().toString());
        ObjectNode staticConfig = (ObjectNode) config.path("scrape_configs").get(0).path("static_configs").get(0);
        ArrayNode targetList = staticConfig.putArray("targets");
        targets.forEach(targetList::add);
        Path file = dir.resolve("prometheus").resolve("prometheus.yml");
        Files.createDirectories(file.getParent());
        yaml.writeValue(file.toFile(), config);
        return file;
    }

    private void awaitSeries(PrometheusServer server, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String requests = PrometheusNames.modelMetric(LlmMetrics.REQUESTS);
        while (server.query(requests).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + requests + " series after " + timeout.toSeconds()
                        + " s; targets: " + server.targets());
            }
            Thread.sleep(1000);
        }
    }

    /** Prints every query's outcome; returns the number of problems (queries without series, unhealthy rules). */
    private int report(PrometheusServer server, Duration range) throws Exception {
        MonitoringQueries queries = MonitoringQueries.read(DASHBOARD, ALERTS, RATE_INTERVAL, range);
        int problems = 0;

        out.println();
        out.println("Targets");
        for (JsonNode target : server.targets()) {
            boolean up = target.path("health").asText().equals("up");
            problems += up ? 0 : 1;
            out.printf("  %-4s %s %s%n", up ? "up" : "DOWN", target.path("scrapeUrl").asText(),
                    target.path("lastError").asText(""));
        }

        out.println();
        out.println("Dashboard (" + DASHBOARD + "): $model=.*, $__rate_interval=" + RATE_INTERVAL.toSeconds()
                + "s, $__range=" + range.toSeconds() + "s");
        for (MonitoringQueries.LabelValues variable : queries.variables()) {
            List<String> values = server.labelValues(variable.selector(), variable.label());
            problems += values.isEmpty() ? 1 : 0;
            out.printf("  %-4s %-58s %s%n", values.isEmpty() ? "NONE" : "ok", variable.where(), values);
        }
        for (MonitoringQueries.Query query : queries.dashboard()) {
            List<JsonNode> series = server.query(query.expr());
            problems += series.isEmpty() ? 1 : 0;
            out.printf("  %-4s %-58s %s%n", series.isEmpty() ? "NONE" : "ok", query.where(), describe(series));
        }

        out.println();
        out.println("Alert rules (" + ALERTS + "): the expression now, and the rule as Prometheus evaluates it");
        Map<String, JsonNode> rules = new TreeMap<>();
        server.rules().forEach(rule -> rules.put(rule.path("name").asText(), rule));
        for (MonitoringQueries.Query alert : queries.alerts()) {
            List<JsonNode> series = server.query(alert.expr());
            JsonNode rule = rules.get(alert.where());
            boolean healthy = rule != null && rule.path("health").asText().equals("ok");
            problems += healthy ? 0 : 1;
            out.printf("  %-5s %-28s %s; rule %s, %s%s%n", series.isEmpty() ? "quiet" : "fires", alert.where(),
                    describe(series), rule == null ? "not loaded" : rule.path("health").asText(),
                    rule == null ? "-" : rule.path("state").asText(),
                    rule == null || rule.path("lastError").asText("").isEmpty() ? ""
                            : " (" + rule.path("lastError").asText() + ")");
            if (series.isEmpty()) {
                out.println("        nothing to fire on now: " + inputs(server, alert.expr()));
                String shortened = withinRange(alert.expr(), range);
                if (!shortened.equals(alert.expr())) {
                    List<JsonNode> recent = server.query(shortened);
                    out.printf("        its windows are longer than the %d s of data; over the data it %s%n",
                            range.toSeconds(), recent.isEmpty() ? "stays quiet too" : "fires: " + describe(recent));
                }
            }
        }

        out.println();
        out.println("Names: exported by the reporter against io.llmstream.metrics.PrometheusNames");
        Set<String> exported = new TreeSet<>(server.labelValues("{__name__=~\"" + PrometheusNames.OPERATOR_SCOPE
                + "_(model|tenant)_.*\"}", "__name__"));
        Set<String> unknown = new TreeSet<>(exported);
        unknown.removeAll(PrometheusNames.series());
        Set<String> absent = new TreeSet<>(PrometheusNames.series());
        absent.removeAll(exported);
        out.println("  exported: " + exported.size() + ", known to PrometheusNames: " + PrometheusNames.series().size());
        out.println("  exported, not in PrometheusNames.series(): " + (unknown.isEmpty() ? "none" : unknown));
        out.println("  in PrometheusNames.series(), not exported in this run: " + (absent.isEmpty() ? "none" : absent));
        out.println();
        out.println(problems == 0 ? "OK: every dashboard query returned series and every alert rule is healthy"
                : problems + " problem(s): see NONE, DOWN and unhealthy rules above");
        return problems;
    }

    /**
     * The expression with every range longer than {@code range} cut to it: {@code rate(x[5m])} divides the
     * increase by five minutes even when the series is younger, so a short run reads a fifth of the rate.
     */
    static String withinRange(String expr, Duration range) {
        Matcher window = WINDOW.matcher(expr);
        StringBuilder result = new StringBuilder();
        while (window.find()) {
            long seconds = Long.parseLong(window.group(1)) * switch (window.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
            window.appendReplacement(result, seconds > range.toSeconds() ? "[" + range.toSeconds() + "s]"
                    : window.group());
        }
        return window.appendTail(result).toString();
    }

    /** The metrics an expression reads, each as its current values by model (why an alert stays quiet). */
    private static String inputs(PrometheusServer server, String expr) throws Exception {
        List<String> parts = new ArrayList<>();
        Matcher metric = METRIC.matcher(expr);
        Set<String> seen = new TreeSet<>();
        while (metric.find()) {
            if (seen.add(metric.group())) {
                List<JsonNode> series = server.query("max by (model) (" + metric.group() + ")");
                parts.add(metric.group().substring(PrometheusNames.OPERATOR_SCOPE.length() + 1) + " "
                        + (series.isEmpty() ? "has no series" : describe(series)));
            }
        }
        return String.join("; ", parts);
    }

    /** Series as {@code model=value} pairs (other labels left out), or "no series". */
    private static String describe(List<JsonNode> series) {
        if (series.isEmpty()) {
            return "no series";
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode one : series) {
            StringBuilder labels = new StringBuilder();
            one.path("metric").properties().forEach(label -> {
                if (!label.getKey().equals("__name__")) {
                    labels.append(labels.isEmpty() ? "" : ",").append(label.getValue().asText());
                }
            });
            double value = Double.parseDouble(one.path("value").get(1).asText());
            parts.add((labels.isEmpty() ? "" : labels + "=") + String.format("%.3g", value));
        }
        return series.size() + " series: " + String.join(" ", parts);
    }
}
