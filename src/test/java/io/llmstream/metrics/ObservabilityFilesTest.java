package io.llmstream.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.llmstream.measure.LlmMetrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The observability files against what Flink's Prometheus reporter exports ({@link PrometheusNames}): the
 * Grafana dashboard, the alert rules, the reporter configuration and the Kubernetes manifests. A misspelt
 * metric, label or quantile fails here instead of drawing an empty graph or never firing.
 */
class ObservabilityFilesTest {
    private static final String REPORTER_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
    private static final String REPORTER = "metrics.reporter.prom.";
    private static final String DATASOURCE = "${DS_PROMETHEUS}";
    private static final String MODEL_FILTER = "model=~\"$model\"";
    private static final String TENANT_FILTER = "tenant=~\"$tenant\"";

    private static final Path DASHBOARD = Path.of("deploy/grafana-dashboard.json");
    private static final Path ALERTS = Path.of("deploy/prometheus-alerts.yaml");
    private static final Path FLINK_CONF = Path.of("conf/flink-prometheus.yaml");
    private static final Path DEPLOYMENT = Path.of("deploy/llmstream-deployment.yaml");
    private static final Path POD_MONITOR = Path.of("deploy/podmonitor.yaml");

    /** A metric name; label names, functions and dashboard variables never start with flink_. */
    private static final Pattern METRIC = Pattern.compile("flink_[A-Za-z0-9_:]+");
    /** A metric name and its selector, if any. */
    private static final Pattern SELECTED_METRIC = Pattern.compile("(flink_[A-Za-z0-9_:]+)(\\{[^}]*})?");
    private static final Pattern SELECTOR = Pattern.compile("\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(?:=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring)\\s*\\(([^)]*)\\)");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\([^,]+,\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    // ---- the checker every query goes through

    /** What is wrong with one PromQL expression: metrics, labels or quantiles the reporter never exports. */
    static List<String> problems(String expr) {
        List<String> problems = new ArrayList<>();
        Matcher metric = METRIC.matcher(expr);
        boolean any = false;
        while (metric.find()) {
            any = true;
            if (!PrometheusNames.series().contains(metric.group())) {
                problems.add("unknown metric " + metric.group());
            }
        }
        if (!any) {
            problems.add("no llmstream metric in " + expr);
        }
        Matcher selector = SELECTOR.matcher(expr);
        while (selector.find()) {
            Matcher matcher = MATCHER.matcher(selector.group(1));
            while (matcher.find()) {
                checkLabel(matcher.group(1), problems);
                if (matcher.group(1).equals(PrometheusNames.QUANTILE_LABEL)
                        && !PrometheusNames.QUANTILES.contains(matcher.group(2))) {
                    problems.add("unknown quantile \"" + matcher.group(2) + "\", the reporter writes "
                            + PrometheusNames.QUANTILES);
                }
            }
        }
        for (Pattern labelList : List.of(GROUPING, LABEL_VALUES)) {
            Matcher labels = labelList.matcher(expr);
            while (labels.find()) {
                for (String label : labels.group(1).split(",")) {
                    if (!label.isBlank()) {
                        checkLabel(label.strip(), problems);
                    }
                }
            }
        }
        return problems;
    }

    private static void checkLabel(String label, List<String> problems) {
        if (!PrometheusNames.labels().contains(label)) {
            problems.add("unknown label " + label);
        }
    }

    @Test
    void checkerCatchesMisspeltMetricsLabelsAndQuantiles() {
        String requests = PrometheusNames.modelMetric(LlmMetrics.REQUESTS);
        String latency = PrometheusNames.modelMetric(LlmMetrics.LATENCY);

        assertThat(problems("sum by (model) (rate(" + requests + "{" + MODEL_FILTER + "}[5m]))")).isEmpty();
        assertThat(problems("rate(" + latency + "_count[5m])")).isEmpty();
        assertThat(problems("sum by (model) (rate(flink_taskmanager_job_task_operator_model_request[5m]))"))
                .containsExactly("unknown metric flink_taskmanager_job_task_operator_model_request");
        assertThat(problems("rate(" + latency + "_sum[5m])")).containsExactly("unknown metric " + latency + "_sum");
        assertThat(problems("sum by (model, error_kind) (" + requests + ")"))
                .containsExactly("unknown label error_kind");
        assertThat(problems(latency + "{quantile=\".95\"}")).singleElement().asString()
                .startsWith("unknown quantile \".95\"");
        assertThat(problems("label_values(" + requests + ", models)")).containsExactly("unknown label models");
        assertThat(problems("vector(1)")).containsExactly("no llmstream metric in vector(1)");
    }

    // ---- the Grafana dashboard

    @Test
    void dashboardQueriesUseOnlyExportedMetricsAndLabels() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        Map<String, String> queries = dashboardQueries(dashboard);
        List<String> problems = new ArrayList<>();
        queries.forEach((where, expr) -> problems(expr).forEach(problem -> problems.add(where + ": " + problem)));

        assertThat(queries).hasSizeGreaterThan(15);
        assertThat(problems).isEmpty();
    }

    @Test
    void everyPanelQueryFiltersByTheModelVariableOrTheTenantVariable() throws IOException {
        List<String> unfiltered = new ArrayList<>();
        String tenantMetrics = PrometheusNames.tenantMetric("");
        for (JsonNode panel : panels(JSON.readTree(DASHBOARD.toFile()))) {
            for (JsonNode target : panel.path("targets")) {
                Matcher metric = SELECTED_METRIC.matcher(target.path("expr").asText());
                while (metric.find()) {
                    String filter = metric.group(1).startsWith(tenantMetrics) ? TENANT_FILTER : MODEL_FILTER;
                    if (metric.group(2) == null || !metric.group(2).contains(filter)) {
                        unfiltered.add(panel.path("title").asText() + ": " + metric.group(1));
                    }
                }
            }
        }
        assertThat(unfiltered).isEmpty();
    }

    @Test
    void dashboardHasThePanelsByModel() throws IOException {
        List<JsonNode> panels = panels(JSON.readTree(DASHBOARD.toFile()));
        List<String> titles = panels.stream().map(panel -> panel.path("title").asText()).toList();

        for (String wanted : List.of("Throughput", "Success rate", "Latency p50 / p95 / p99", "429s per second",
                "utilization", "Tokens per second", "Failures by error kind", "Circuit state",
                "waiting for budget", "Cost (USD per hour)")) {
            assertThat(titles).as("panel titles").anySatisfy(title -> assertThat(title).containsIgnoringCase(wanted));
        }
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("unique id of %s", title).isTrue();
            assertThat(panel.path("gridPos").path("w").asInt()).as("width of %s", title).isPositive();
            assertThat(panel.path("datasource").path("uid").asText()).as("datasource of %s", title)
                    .isEqualTo(DATASOURCE);
            assertThat(panel.path("targets")).as("targets of %s", title).isNotEmpty().allSatisfy(target -> {
                assertThat(target.path("expr").asText()).as("expr of %s", title).isNotBlank();
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo(DATASOURCE);
            });
        }
    }

    @Test
    void dashboardTemplatesTheDatasourceTheModelAndThePrices() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        Map<String, JsonNode> variables = new TreeMap<>();
        dashboard.path("templating").path("list").forEach(variable -> variables.put(variable.path("name").asText(),
                variable));

        assertThat(dashboard.path("schemaVersion").asInt()).isEqualTo(39);
        assertThat(variables.get("DS_PROMETHEUS").path("type").asText()).isEqualTo("datasource");
        assertThat(variables.get("DS_PROMETHEUS").path("query").asText()).isEqualTo("prometheus");
        assertThat(variableQuery(variables.get("model"))).isEqualTo(
                "label_values(" + PrometheusNames.modelMetric(LlmMetrics.REQUESTS) + ", model)");
        for (String price : List.of("input_price_per_million", "output_price_per_million")) {
            JsonNode variable = variables.get(price);
            assertThat(variable).as(price).isNotNull();
            assertThat(variable.path("type").asText()).isEqualTo("constant");
            assertThat(Double.parseDouble(variable.path("query").asText())).as(price).isPositive();
            List<JsonNode> costPanels = panels(dashboard).stream()
                    .filter(panel -> panel.path("title").asText().startsWith("Cost")).toList();
            assertThat(costPanels).hasSize(2).allSatisfy(panel -> {
                assertThat(panel.path("description").asText()).contains(price);
                assertThat(panel.path("targets").get(0).path("expr").asText()).contains("$" + price);
            });
        }
    }

    // ---- the alert rules

    @Test
    void alertQueriesUseOnlyExportedMetricsAndLabels() throws IOException {
        List<String> problems = new ArrayList<>();
        for (JsonNode rule : alertRules()) {
            problems(rule.path("expr").asText()).forEach(problem -> problems.add(rule.path("alert").asText() + ": "
                    + problem));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyAlertIsCompleteAndNamesTheModel() throws IOException {
        List<JsonNode> rules = alertRules();
        Set<String> names = new HashSet<>();
        for (JsonNode rule : rules) {
            String name = rule.path("alert").asText();
            assertThat(name).as("alert name").isNotBlank();
            assertThat(names.add(name)).as("unique alert %s", name).isTrue();
            assertThat(rule.path("expr").asText()).as("expr of %s", name).contains("by (model");
            assertThat(rule.path("for").asText()).as("for of %s", name).matches("\\d+[smh]");
            assertThat(rule.path("labels").path("severity").asText()).as("severity of %s", name)
                    .isIn("warning", "critical");
            assertThat(rule.path("annotations").path("summary").asText()).as("summary of %s", name)
                    .contains("{{ $labels.model }}");
            assertThat(rule.path("annotations").path("description").asText()).as("description of %s", name)
                    .contains("{{ $labels.model }}");
        }
        assertThat(names).contains("LlmstreamSuccessRateLow", "LlmstreamLatencyP95High", "LlmstreamRateLimited",
                "LlmstreamCircuitOpen", "LlmstreamDeadLettersRising");
    }

    // ---- the reporter configuration and the Kubernetes manifests

    @Test
    void flinkConfigurationEnablesThePrometheusReporter() throws IOException {
        Map<String, String> conf = flatten(YAML.readTree(FLINK_CONF.toFile()));

        assertThat(conf).containsEntry(REPORTER + "factory.class", REPORTER_FACTORY)
                .containsEntry(REPORTER + "port", "9249-9259")
                .containsEntry(REPORTER + "filterLabelValueCharacters", "false");
    }

    @Test
    void kubernetesDeploymentExposesTheReporterToPrometheus() throws IOException {
        JsonNode deployment = YAML.readerFor(JsonNode.class).<JsonNode>readValues(DEPLOYMENT.toFile()).readAll()
                .stream().filter(document -> document.path("kind").asText().equals("FlinkDeployment"))
                .findFirst().orElseThrow();
        Map<String, String> conf = flatten(deployment.path("spec").path("flinkConfiguration"));
        String port = conf.get(REPORTER + "port");
        JsonNode pod = deployment.path("spec").path("podTemplate");
        JsonNode container = pod.path("spec").path("containers").get(0);
        JsonNode podMonitor = YAML.readTree(POD_MONITOR.toFile());

        assertThat(conf).containsEntry(REPORTER + "factory.class", REPORTER_FACTORY)
                .containsEntry(REPORTER + "filterLabelValueCharacters", "false");
        assertThat(port).isEqualTo("9249");
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText()).isEqualTo("true");
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText()).isEqualTo(port);
        assertThat(container.path("name").asText()).isEqualTo("flink-main-container");
        assertThat(container.path("ports")).anySatisfy(containerPort -> {
            assertThat(containerPort.path("name").asText()).isEqualTo("metrics");
            assertThat(containerPort.path("containerPort").asText()).isEqualTo(port);
        });
        assertThat(podMonitor.path("kind").asText()).isEqualTo("PodMonitor");
        assertThat(podMonitor.path("spec").path("selector").path("matchLabels").path("app").asText())
                .isEqualTo(deployment.path("metadata").path("name").asText());
        assertThat(podMonitor.path("spec").path("podMetricsEndpoints").get(0).path("port").asText())
                .isEqualTo("metrics");
    }

    // ---- reading the files

    /** Every query of the dashboard by where it is: panel targets and template variables. */
    private static Map<String, String> dashboardQueries(JsonNode dashboard) {
        Map<String, String> queries = new TreeMap<>();
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                queries.put("panel '" + panel.path("title").asText() + "' target " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                queries.put("variable " + variable.path("name").asText(), variableQuery(variable));
                queries.put("variable " + variable.path("name").asText() + " definition",
                        variable.path("definition").asText());
            }
        }
        return queries;
    }

    /** A query variable's query: a string in older dashboards, an object with {@code query} in newer ones. */
    private static String variableQuery(JsonNode variable) {
        JsonNode query = variable.path("query");
        return query.isObject() ? query.path("query").asText() : query.asText();
    }

    /** The dashboard's panels, those inside collapsed rows included, rows themselves left out. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                panel.path("panels").forEach(panels::add);
            } else {
                panels.add(panel);
            }
        }
        return panels;
    }

    private static List<JsonNode> alertRules() throws IOException {
        List<JsonNode> rules = new ArrayList<>();
        YAML.readTree(ALERTS.toFile()).path("groups").forEach(group -> group.path("rules").forEach(rules::add));
        assertThat(rules).as("alert rules in %s", ALERTS).isNotEmpty();
        return rules;
    }

    /** Flink's view of a YAML configuration: nested maps joined into dotted keys, values as text. */
    private static Map<String, String> flatten(JsonNode node) {
        Map<String, String> flat = new TreeMap<>();
        flatten("", node, flat);
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> flat) {
        if (node.isObject()) {
            node.properties().forEach(entry -> flatten(prefix.isEmpty() ? entry.getKey() : prefix + "."
                    + entry.getKey(), entry.getValue(), flat));
        } else {
            flat.put(prefix, node.asText());
        }
    }
}
