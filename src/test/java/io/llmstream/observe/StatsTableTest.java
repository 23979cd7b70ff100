package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;

import static io.llmstream.observe.TestWindows.window;
import static org.assertj.core.api.Assertions.assertThat;

class StatsTableTest {
    private static final Instant NOW = Instant.parse("2026-11-24T08:06:25Z");
    private static final Duration STALE_AFTER = Duration.ofSeconds(30);

    @Test
    void showsOneLinePerModelWithItsLatestWindow() {
        MetricsWindow big = window("gpt-4o", "2026-11-24T08:06:10Z").requests(98, 97).error("server_error", 1)
                .latency(155, 331, 470).tokens(3104, 3010, 9376).rateLimited(2)
                .utilization(OptionalDouble.of(0.98), OptionalDouble.of(0.6251)).cost(0.0412).build();
        MetricsWindow small = window("gpt-4o-mini", "2026-11-24T08:06:10Z").requests(1200, 1200)
                .latency(80, 1250, 2400).tokens(60_000, 40_000, 150_000).build();

        String table = StatsTable.render(List.of(small, big), NOW, STALE_AFTER);

        assertThat(table).isEqualTo("""
                MODEL        WINDOW (UTC)       AGE  REQ/S      OK  P50 ms  P95 ms  P99 ms  429s  ERRORS  REQ UTIL  TOK UTIL   TOK/S     COST
                gpt-4o       08:06:10-08:06:20   5s    9.8   99.0%     155     331     470     2  5xx:1      98.0%     62.5%   611.4  $0.0412
                gpt-4o-mini  08:06:10-08:06:20   5s  120.0  100.0%      80   1,250   2,400     0  -          50.0%     25.0%  10,000        -
                errors: 5xx = server_error
                """);
    }

    @Test
    void showsADashWhereAModelHasNoLimitOrPrice() {
        MetricsWindow window = window("local-llama", "2026-11-24T08:06:10Z")
                .utilization(OptionalDouble.empty(), OptionalDouble.empty()).build();

        String line = StatsTable.render(List.of(window), NOW, STALE_AFTER).lines().skip(1).findFirst().orElseThrow();

        assertThat(line).endsWith("  -         -  500.0     -");
    }

    @Test
    void marksAModelWhoseWindowsStopped() {
        MetricsWindow current = window("m1", "2026-11-24T08:06:10Z").build();
        MetricsWindow old = window("m2", "2026-11-24T08:01:00Z").error("timeout", 3).error("context_length_exceeded", 1)
                .requests(100, 96).build();

        String table = StatsTable.render(List.of(current, old), NOW, STALE_AFTER);

        assertThat(table).contains("m2     08:01:00-08:01:10  5m stale")
                .contains("ctx:1 timeout:3")
                .contains("errors: ctx = context_length_exceeded\n")
                .endsWith("stale: no newer window for over 30s; is the job running?\n");
        assertThat(table.lines().filter(line -> line.contains("stale")).count()).isEqualTo(2);
    }

    @Test
    void saysSoWhenThereIsNothingToShow() {
        assertThat(StatsTable.render(List.of(), NOW, STALE_AFTER)).isEqualTo("no metrics windows yet\n");
    }
}
