package io.llmstream.metrics;

import io.llmstream.measure.LlmMetrics;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PrometheusNames} against Flink's own metric groups: the name and labels below are built the way
 * the Prometheus reporter builds them, from the logical scope and the variables of a real operator group.
 */
class PrometheusNamesTest {
    /** The reporter's filter for names and label names. */
    private static final CharacterFilter FILTER = PrometheusNames::sanitize;

    private final MetricGroup operator = UnregisteredMetricGroups.createUnregisteredOperatorMetricGroup();
    private final MetricGroup model = operator.addGroup(LlmMetrics.MODEL_GROUP, "gpt-4o");

    /** {@code "flink_" + logical scope + "_" + name}, as {@code AbstractPrometheusReporter#getScopedName}. */
    private static String reportedName(MetricGroup group, String metric) {
        return "flink_" + ((AbstractMetricGroup<?>) group).getLogicalScope(FILTER, '_') + "_" + FILTER.filterCharacters(
                metric);
    }

    /** Each variable {@code <name>} becomes the label {@code name}. */
    private static Set<String> reportedLabels(MetricGroup group) {
        Set<String> labels = new TreeSet<>();
        group.getAllVariables().keySet().forEach(key -> labels.add(FILTER.filterCharacters(
                key.substring(1, key.length() - 1))));
        return labels;
    }

    @Test
    void modelGroupPutsTheKeyIntoTheNameAndTheValueIntoALabel() {
        assertThat(reportedName(model, LlmMetrics.REQUESTS))
                .isEqualTo(PrometheusNames.modelMetric(LlmMetrics.REQUESTS))
                .isEqualTo("flink_taskmanager_job_task_operator_model_requests");
        assertThat(model.getAllVariables()).containsEntry("<model>", "gpt-4o");
    }

    @Test
    void keyAndErrorKindGroupsNestBelowTheModel() {
        MetricGroup key = model.addGroup(LlmMetrics.KEY_GROUP, "tier-2");
        MetricGroup kind = model.addGroup(LlmMetrics.ERROR_KIND_GROUP, "server_error");

        assertThat(reportedName(key, LlmMetrics.RATE_LIMITED))
                .isEqualTo(PrometheusNames.keyMetric(LlmMetrics.RATE_LIMITED))
                .isEqualTo("flink_taskmanager_job_task_operator_model_key_rateLimited");
        assertThat(reportedName(kind, LlmMetrics.FAILURES))
                .isEqualTo(PrometheusNames.errorKindMetric(LlmMetrics.FAILURES))
                .isEqualTo("flink_taskmanager_job_task_operator_model_errorKind_failures");
        assertThat(key.getAllVariables()).containsEntry("<model>", "gpt-4o").containsEntry("<key>", "tier-2");
        assertThat(kind.getAllVariables()).containsEntry("<errorKind>", "server_error");
    }

    @Test
    void labelsAreFlinksOperatorVariablesPlusTheGroupKeys() {
        Set<String> flink = new TreeSet<>(reportedLabels(model.addGroup(LlmMetrics.KEY_GROUP, "k")));
        flink.addAll(reportedLabels(model.addGroup(LlmMetrics.ERROR_KIND_GROUP, "timeout")));
        flink.addAll(reportedLabels(operator.addGroup(LlmMetrics.TENANT_GROUP, "team-a")));
        flink.add(PrometheusNames.QUANTILE_LABEL);

        assertThat(PrometheusNames.labels()).isEqualTo(flink);
        assertThat(reportedLabels(operator)).containsExactlyInAnyOrderElementsOf(PrometheusNames.OPERATOR_LABELS);
    }

    @Test
    void allNamesEveryRegisteredMetricOnceAndSeriesAddsHistogramCounts() {
        int registered = LlmMetrics.ROUTE_MODEL_METRICS.size() + LlmMetrics.CALL_MODEL_METRICS.size()
                + LlmMetrics.ROUTE_KEY_METRICS.size() + LlmMetrics.CALL_KEY_METRICS.size()
                + LlmMetrics.ROUTE_ERROR_KIND_METRICS.size() + LlmMetrics.ROUTE_TENANT_METRICS.size()
                + LlmMetrics.CALL_TENANT_METRICS.size();

        assertThat(PrometheusNames.all()).hasSize(registered)
                .contains("flink_taskmanager_job_task_operator_model_circuitState",
                        "flink_taskmanager_job_task_operator_model_key_keyState",
                        "flink_taskmanager_job_task_operator_tenant_spentTodayUsd")
                .allMatch(name -> name.matches("flink_[A-Za-z0-9_:]+"));
        assertThat(LlmMetrics.ROUTE_MODEL_METRICS).containsAll(PrometheusNames.HISTOGRAMS);
        assertThat(PrometheusNames.series()).hasSize(registered + PrometheusNames.HISTOGRAMS.size())
                .contains("flink_taskmanager_job_task_operator_model_latency_count",
                        "flink_taskmanager_job_task_operator_model_timeToFirstToken_count")
                .doesNotContain("flink_taskmanager_job_task_operator_model_latency_sum");
    }

    @Test
    void sanitizeReplacesWhatPrometheusDoesNotAllow() {
        assertThat(PrometheusNames.sanitize("gpt-4o-mini.v1")).isEqualTo("gpt_4o_mini_v1");
        assertThat(PrometheusNames.sanitize("ns:name_1")).isEqualTo("ns:name_1");
    }
}
