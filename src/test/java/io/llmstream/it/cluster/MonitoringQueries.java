package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL of the Grafana dashboard and of the alert rules, ready for Prometheus's query API: Grafana's
 * variables replaced as Grafana would ({@code $model} by its all-value, {@code $__rate_interval} and
 * {@code $__range} by durations, constants by their values), {@code label_values(...)} of template variables
 * kept apart since it is Grafana's, not PromQL.
 */
public final class MonitoringQueries {
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)");

    /** One expression, named by where it comes from: a panel and its target, a variable or an alert. */
    public record Query(String where, String expr) {}

    /** A template variable's {@code label_values(selector, label)}. */
    public record LabelValues(String where, String selector, String label) {}

    private final List<Query> dashboard = new ArrayList<>();
    private final List<LabelValues> variables = new ArrayList<>();
    private final List<Query> alerts = new ArrayList<>();

    private MonitoringQueries() {}

    /**
     * Reads the dashboard and the alert rules, substituting {@code $__rate_interval} and {@code $__range} with
     * the given durations (Grafana derives them from the scrape interval and the time range shown).
     */
    public static MonitoringQueries read(Path dashboardFile, Path alertsFile, Duration rateInterval, Duration range)
            throws IOException {
        MonitoringQueries queries = new MonitoringQueries();
        JsonNode dashboard = new ObjectMapper().readTree(dashboardFile.toFile());
        Map<String, String> values = new LinkedHashMap<>();
        values.put("__rate_interval", rateInterval.toSeconds() + "s");
        values.put("__range", range.toSeconds() + "s");
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String name = variable.path("name").asText();
            switch (variable.path("type").asText()) {
                case "constant" -> values.put(name, variable.path("query").asText());
                case "query" -> {
                    values.put(name, variable.path("allValue").asText(".*"));
                    JsonNode query = variable.path("query");
                    String text = query.isObject() ? query.path("query").asText() : query.asText();
                    Matcher matcher = LABEL_VALUES.matcher(text);
                    if (matcher.matches()) {
                        queries.variables.add(new LabelValues("variable " + name, matcher.group(1).strip(),
                                matcher.group(2)));
                    } else {
                        queries.dashboard.add(new Query("variable " + name, text));
                    }
                }
                default -> { }
            }
        }
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                queries.dashboard.add(new Query("panel '" + panel.path("title").asText() + "' "
                        + target.path("refId").asText(), substitute(target.path("expr").asText(), values)));
            }
        }
        new YAMLMapper().readTree(alertsFile.toFile()).path("groups").forEach(group -> group.path("rules")
                .forEach(rule -> queries.alerts.add(new Query(rule.path("alert").asText(),
                        rule.path("expr").asText().strip()))));
        return queries;
    }

    public List<Query> dashboard() {
        return List.copyOf(dashboard);
    }

    public List<LabelValues> variables() {
        return List.copyOf(variables);
    }

    public List<Query> alerts() {
        return List.copyOf(alerts);
    }

    /** Grafana's {@code $name} and {@code ${name}}, longest names first so {@code $model} never eats {@code $models}. */
    static String substitute(String expr, Map<String, String> values) {
        String result = expr;
        List<String> names = new ArrayList<>(values.keySet());
        names.sort(Comparator.comparingInt(String::length).reversed());
        for (String name : names) {
            result = result.replace("${" + name + "}", values.get(name)).replace("$" + name, values.get(name));
        }
        return result;
    }

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
}
