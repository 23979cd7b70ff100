package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeArgumentTest {
    private static final Instant NOW = Instant.parse("2026-11-24T08:30:00Z");

    @Test
    void readsNowAndTimesRelativeToIt() {
        assertThat(TimeArgument.parse("to", "now", NOW)).isEqualTo(NOW);
        assertThat(TimeArgument.parse("from", "-90s", NOW)).isEqualTo("2026-11-24T08:28:30Z");
        assertThat(TimeArgument.parse("from", "-15m", NOW)).isEqualTo("2026-11-24T08:15:00Z");
        assertThat(TimeArgument.parse("from", "-1h", NOW)).isEqualTo("2026-11-24T07:30:00Z");
        assertThat(TimeArgument.parse("from", "-2d", NOW)).isEqualTo("2026-11-22T08:30:00Z");
        assertThat(TimeArgument.parse("from", "-1w", NOW)).isEqualTo("2026-11-17T08:30:00Z");
    }

    @Test
    void readsIsoTimesWithoutAZoneAsUtc() {
        assertThat(TimeArgument.parse("from", "2026-11-24T08:00:00Z", NOW)).isEqualTo("2026-11-24T08:00:00Z");
        assertThat(TimeArgument.parse("from", "2026-11-24T09:00+01:00", NOW)).isEqualTo("2026-11-24T08:00:00Z");
        assertThat(TimeArgument.parse("from", "2026-11-24T08:00", NOW)).isEqualTo("2026-11-24T08:00:00Z");
        assertThat(TimeArgument.parse("from", "2026-11-24", NOW)).isEqualTo("2026-11-24T00:00:00Z");
    }

    @Test
    void namesTheFlagAndTheFormsItAccepts() {
        assertThatThrownBy(() -> TimeArgument.parse("from", "an hour ago", NOW))
                .hasMessage("--from must be now, a time relative to now like -1h (s, m, h, d, w) or an ISO-8601 "
                        + "time like 2026-11-24T08:00:00Z, was 'an hour ago'");
        assertThatThrownBy(() -> TimeArgument.parse("to", "+1h", NOW)).hasMessageStartingWith("--to must be now");
    }
}
