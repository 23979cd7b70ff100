package io.llmstream.metrics;

import io.llmstream.measure.LlmMetrics;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The names under which Flink's Prometheus reporter exports the metrics of {@link LlmMetrics}, so the
 * Grafana dashboard and the alert rules in {@code deploy/} can be checked against one rule.
 *
 * <p>The rule is the reporter's (flink-metrics-prometheus, {@code AbstractPrometheusReporter}): the name is
 * {@code flink_}, the group's logical scope joined by {@code _}, {@code _} and the metric name, with every
 * character outside {@code [a-zA-Z0-9:_]} turned into {@code _}. An operator's logical scope is
 * {@code taskmanager_job_task_operator}; {@code addGroup(key, value)} adds the key to the logical scope and
 * the value as a label named after the key. The route stage's {@code model.gpt-4o.requests} is thus
 * {@code flink_taskmanager_job_task_operator_model_requests{model="gpt-4o", operator_name="route-results", ...}}.
 * Label values keep their characters only with {@code filterLabelValueCharacters: false}, as in
 * {@code conf/flink-prometheus.yaml}; by default the reporter writes {@code gpt_4o}.
 *
 * <p>Counters (their running total), meters (their rate) and gauges are exported as Prometheus gauges.
 * Histograms are exported as summaries: the name with a {@code quantile} label ({@link #QUANTILES}, 0.0 the
 * minimum and 1.0 the maximum) and the count of values ever recorded as {@code <name>_count}; there is no
 * {@code _sum}.
 */
public final class PrometheusNames {
    /** The prefix of every operator metric: {@code flink_} and the operator's logical scope. */
    public static final String OPERATOR_SCOPE = "flink_taskmanager_job_task_operator";
    /** The label of a histogram's quantile. */
    public static final String QUANTILE_LABEL = "quantile";
    /** A histogram's quantile label values, as the reporter writes them. */
    public static final List<String> QUANTILES = List.of("0.0", "0.5", "0.75", "0.95", "0.98", "0.99", "0.999",
            "1.0");
    /** The suffix of a histogram's count series. */
    public static final String COUNT_SUFFIX = "_count";
    /** The metrics of {@link LlmMetrics} that are histograms (all in the model group). */
    public static final List<String> HISTOGRAMS = List.of(LlmMetrics.LATENCY, LlmMetrics.PROVIDER_LATENCY,
            LlmMetrics.BUDGET_WAIT, LlmMetrics.TIME_TO_FIRST_TOKEN);
    /** The labels Flink puts on every operator metric: its scope variables without the angle brackets. */
    public static final List<String> OPERATOR_LABELS = List.of("host", "tm_id", "job_id", "job_name", "task_id",
            "task_name", "task_attempt_id", "task_attempt_num", "subtask_index", "operator_id", "operator_name");

    private static final Pattern INVALID = Pattern.compile("[^a-zA-Z0-9:_]");

    private PrometheusNames() {}

    /** The name of a metric registered in the model group. */
    public static String modelMetric(String metric) {
        return name(LlmMetrics.MODEL_GROUP, metric);
    }

    /** The name of a metric registered in the key group below the model group. */
    public static String keyMetric(String metric) {
        return name(LlmMetrics.MODEL_GROUP + "_" + LlmMetrics.KEY_GROUP, metric);
    }

    /** The name of a metric registered in the errorKind group below the model group. */
    public static String errorKindMetric(String metric) {
        return name(LlmMetrics.MODEL_GROUP + "_" + LlmMetrics.ERROR_KIND_GROUP, metric);
    }

    /** The name of a metric registered in the tenant group. */
    public static String tenantMetric(String metric) {
        return name(LlmMetrics.TENANT_GROUP, metric);
    }

    /** Every metric name llmstream exports, one per registered metric, sorted. */
    public static Set<String> all() {
        Set<String> names = new TreeSet<>();
        LlmMetrics.ROUTE_MODEL_METRICS.forEach(metric -> names.add(modelMetric(metric)));
        LlmMetrics.CALL_MODEL_METRICS.forEach(metric -> names.add(modelMetric(metric)));
        LlmMetrics.ROUTE_KEY_METRICS.forEach(metric -> names.add(keyMetric(metric)));
        LlmMetrics.CALL_KEY_METRICS.forEach(metric -> names.add(keyMetric(metric)));
        LlmMetrics.ROUTE_ERROR_KIND_METRICS.forEach(metric -> names.add(errorKindMetric(metric)));
        LlmMetrics.ROUTE_TENANT_METRICS.forEach(metric -> names.add(tenantMetric(metric)));
        LlmMetrics.CALL_TENANT_METRICS.forEach(metric -> names.add(tenantMetric(metric)));
        return Collections.unmodifiableSet(names);
    }

    /** Every series name a query may use: {@link #all()} and the {@code _count} of each histogram, sorted. */
    public static Set<String> series() {
        Set<String> names = new TreeSet<>(all());
        HISTOGRAMS.forEach(metric -> names.add(modelMetric(metric) + COUNT_SUFFIX));
        return Collections.unmodifiableSet(names);
    }

    /** Every label llmstream's series may carry: Flink's operator labels, the groups' keys and the quantile. */
    public static Set<String> labels() {
        Set<String> labels = new TreeSet<>(OPERATOR_LABELS);
        labels.add(LlmMetrics.MODEL_GROUP);
        labels.add(LlmMetrics.KEY_GROUP);
        labels.add(LlmMetrics.ERROR_KIND_GROUP);
        labels.add(LlmMetrics.TENANT_GROUP);
        labels.add(QUANTILE_LABEL);
        return Collections.unmodifiableSet(labels);
    }

    /** A name or label as the reporter writes it: characters outside {@code [a-zA-Z0-9:_]} become {@code _}. */
    public static String sanitize(String text) {
        return INVALID.matcher(text).replaceAll("_");
    }

    private static String name(String groups, String metric) {
        return OPERATOR_SCOPE + "_" + groups + "_" + sanitize(metric);
    }
}
