package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.ShardKeys;
import io.llmstream.measure.LlmMetrics;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CallStageGaugesTest {

    @Test
    void countsTheShardsWhoseCircuitIsOpenAndShowsTheWorstState() throws Exception {
        LlmStreamConfig config = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m: {endpoint: mock, rpm: 600, shards: 3}}", "job: {parallelism: 1}",
                "call: {breaker: {minimum-calls: 4, failure-rate: 0.5}}");
        MetricListener metrics = new MetricListener();
        try (BudgetShards budgets = new BudgetShards(config, ShardKeys.of(config), 0, 1, 128)) {
            new CallStageGauges(metrics.getMetricGroup(), config, budgets);
            assertThat(gauge(metrics, LlmMetrics.OPEN_CIRCUITS)).isEqualTo(0);
            assertThat(gauge(metrics, LlmMetrics.CIRCUIT_STATE)).isEqualTo(0);

            for (int shard : new int[] {0, 2}) {
                for (int i = 0; i < 4; i++) {
                    budgets.dispatcher("m", shard).failed(0);
                }
            }

            assertThat(gauge(metrics, LlmMetrics.OPEN_CIRCUITS)).as("shards 0 and 2 of 3").isEqualTo(2);
            assertThat(gauge(metrics, LlmMetrics.CIRCUIT_STATE)).as("open, the worst").isEqualTo(2);
        }
    }

    @Test
    void sumsTheConcurrencyLimitsOfTheShardsHeldHere() throws Exception {
        LlmStreamConfig config = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m: {endpoint: mock, rpm: 600, shards: 3}, fixed: {endpoint: mock, concurrency: 5}}",
                "job: {parallelism: 1}");
        MetricListener metrics = new MetricListener();
        try (BudgetShards budgets = new BudgetShards(config, ShardKeys.of(config), 0, 1, 128)) {
            new CallStageGauges(metrics.getMetricGroup(), config, budgets);

            assertThat(gauge(metrics, LlmMetrics.CONCURRENCY_LIMIT)).as("each shard held here starts at 4")
                    .isEqualTo(4 * budgets.dispatchersOf("m").size());
            assertThat(metrics.<Integer>getGauge(LlmMetrics.MODEL_GROUP, "fixed", LlmMetrics.CONCURRENCY_LIMIT)
                    .map(Gauge::getValue).orElseThrow()).isEqualTo(5 * budgets.dispatchersOf("fixed").size());
        }
    }

    private static int gauge(MetricListener metrics, String name) {
        return metrics.<Integer>getGauge(LlmMetrics.MODEL_GROUP, "m", name).map(Gauge::getValue).orElseThrow();
    }
}
