package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static io.llmstream.observe.TestWindows.window;
import static org.assertj.core.api.Assertions.assertThat;

class LatestWindowsTest {
    @Test
    void keepsTheNewestWindowOfEachModelWhateverTheOrder() {
        MetricsWindow m1Old = window("m1", "2026-11-24T08:00:00Z").build();
        MetricsWindow m1New = window("m1", "2026-11-24T08:00:10Z").build();
        MetricsWindow m1Rewritten = window("m1", "2026-11-24T08:00:10Z").requests(7, 7).build();
        MetricsWindow m0 = window("m0", "2026-11-24T07:59:50Z").build();
        LatestWindows latest = new LatestWindows();

        latest.addAll(List.of(m1New, m1Old, m0));
        latest.addAll(List.of(m1Rewritten));

        assertThat(latest.windows()).containsExactly(m0, m1Rewritten);
        assertThat(latest.newestEnd()).hasValue(Instant.parse("2026-11-24T08:00:20Z"));
    }
}
