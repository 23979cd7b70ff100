package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/** The per-model aggregates written to the metrics topic. */
public record MetricsSettings(Duration window) implements Serializable {

    public static final Option<Duration> WINDOW = Option.key("window").durationType()
            .defaultValue(Duration.ofSeconds(10)).mustBe(v -> v.toMillis() >= 100, ">= 100ms")
            .withDescription("Length of the tumbling windows; one record per model per window.");

    static MetricsSettings read(ConfigSection section) {
        return new MetricsSettings(section.get(WINDOW));
    }
}
