package io.llmstream.it.cluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MonitoringQueriesTest {

    @Test
    void substitutesGrafanaVariablesInBothFormsLongestNameFirst() {
        Map<String, String> values = Map.of("model", ".*", "model_group", "g", "__rate_interval", "30s");

        assertThat(MonitoringQueries.substitute("rate(x{model=~\"$model\", g=\"${model_group}\"}[$__rate_interval])",
                values)).isEqualTo("rate(x{model=~\".*\", g=\"g\"}[30s])");
    }

    @Test
    void theShippedDashboardAndAlertsBecomePlainPromQl() throws Exception {
        MonitoringQueries queries = MonitoringQueries.read(Path.of("deploy/grafana-dashboard.json"),
                Path.of("deploy/prometheus-alerts.yaml"), Duration.ofSeconds(30), Duration.ofMinutes(5));

        assertThat(queries.dashboard()).hasSizeGreaterThan(15)
                .allSatisfy(query -> assertThat(query.expr()).as(query.where()).doesNotContain("$").isNotBlank());
        assertThat(queries.variables()).hasSize(2);
        assertThat(queries.variables().get(0).selector()).isEqualTo("flink_taskmanager_job_task_operator_model_requests");
        assertThat(queries.variables().get(0).label()).isEqualTo("model");
        assertThat(queries.variables().get(1).selector()).isEqualTo("flink_taskmanager_job_task_operator_tenant_requests");
        assertThat(queries.variables().get(1).label()).isEqualTo("tenant");
        assertThat(queries.alerts()).hasSize(6).allSatisfy(alert -> assertThat(alert.expr()).contains("by (model"));
    }
}
