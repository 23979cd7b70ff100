package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsWindowJsonTest {
    /** The example of docs/records.md, with the cost field. */
    private static final String README_EXAMPLE = """
            {"window_start": "2026-11-24T08:06:10Z", "window_end": "2026-11-24T08:06:20Z", "model": "gpt-4o",
             "requests": 98, "succeeded": 97, "failed": 1, "success_rate": 0.9898, "errors": {"server_error": 1},
             "latency_ms": {"p50": 155, "p95": 331, "p99": 470, "max": 512}, "budget_wait_p95_ms": 980,
             "tokens": {"prompt": 3104, "completion": 3010, "charged": 9376},
             "throughput_per_second": 9.8, "attempts": 101, "rate_limited_responses": 0,
             "utilization": {"requests": 0.98, "tokens": 0.6251}, "cost_usd": 0.0412,
             "keys": {"openai#1": {"requests": 98, "charged_tokens": 9376, "rate_limited_responses": 0,
                                   "utilization": {"requests": 0.98, "tokens": 0.6251}}}}
            """;

    @Test
    void readsEveryDocumentedField() {
        MetricsWindow window = MetricsWindowJson.parse(README_EXAMPLE);

        assertThat(window.model()).isEqualTo("gpt-4o");
        assertThat(window.windowStart()).isEqualTo(Instant.parse("2026-11-24T08:06:10Z"));
        assertThat(window.length()).isEqualTo(Duration.ofSeconds(10));
        assertThat(window.requests()).isEqualTo(98);
        assertThat(window.succeeded()).isEqualTo(97);
        assertThat(window.failed()).isEqualTo(1);
        assertThat(window.errors()).containsExactly(Map.entry("server_error", 1L));
        assertThat(window.latency()).isEqualTo(new MetricsWindow.Latency(155, 331, 470, 512));
        assertThat(window.budgetWaitP95Ms()).isEqualTo(980);
        assertThat(window.tokens()).isEqualTo(new MetricsWindow.Tokens(3104, 3010, 9376));
        assertThat(window.throughputPerSecond()).isEqualTo(9.8);
        assertThat(window.attempts()).isEqualTo(101);
        assertThat(window.requestUtilization()).hasValue(0.98);
        assertThat(window.tokenUtilization()).hasValue(0.6251);
        assertThat(window.costUsd()).hasValue(0.0412);
        assertThat(window.tokensPerSecond()).isEqualTo(611.4);
    }

    @Test
    void toleratesAWriterWithoutCostUtilizationOrCounts() {
        MetricsWindow window = MetricsWindowJson.parse("""
                {"window_start": "2026-11-24T08:06:10Z", "window_end": "2026-11-24T08:06:20Z", "model": "m1",
                 "requests": 20, "succeeded": 18, "utilization": {"requests": null}, "cost_usd": null,
                 "a_field_from_the_future": [1, 2]}""");

        assertThat(window.failed()).isEqualTo(2);
        assertThat(window.errors()).isEmpty();
        assertThat(window.latency()).isEqualTo(MetricsWindow.Latency.NONE);
        assertThat(window.tokens()).isEqualTo(MetricsWindow.Tokens.NONE);
        assertThat(window.throughputPerSecond()).isEqualTo(2.0);
        assertThat(window.requestUtilization()).isEmpty();
        assertThat(window.tokenUtilization()).isEmpty();
        assertThat(window.costUsd()).isEmpty();
        assertThat(MetricsWindowJson.parse(README_EXAMPLE.replace("\"cost_usd\": 0.0412,", "")).costUsd()).isEmpty();
    }

    @Test
    void namesWhatMakesARecordNoWindow() {
        assertThatThrownBy(() -> MetricsWindowJson.parse("{\"id\": \"r-1\", \"content\": \"a completion\"}"))
                .hasMessage("model is missing");
        assertThatThrownBy(() -> MetricsWindowJson.parse("{\"model\": \"m1\", \"window_end\": \"2026-11-24T08:06:20Z\"}"))
                .hasMessage("window_start is missing");
        assertThatThrownBy(() -> MetricsWindowJson.parse(
                "{\"model\": \"m1\", \"window_start\": \"yesterday\", \"window_end\": \"2026-11-24T08:06:20Z\"}"))
                .hasMessage("window_start must be an ISO-8601 instant, was 'yesterday'");
        assertThatThrownBy(() -> MetricsWindowJson.parse("not json")).hasMessageStartingWith("not JSON");
    }
}
