package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SvgChartTest {
    private static final Instant FROM = Instant.parse("2026-11-24T08:00:00Z");

    @Test
    void breaksALineAtHolesAndJumps() {
        List<SvgChart.Point> points = List.of(point(0, 1), point(10, 2), point(20, Double.NaN), point(30, 3),
                point(40, 4), point(90, 5));

        List<List<SvgChart.Point>> segments = SvgChart.segments(points, 15_000);

        assertThat(segments).containsExactly(List.of(point(0, 1), point(10, 2)), List.of(point(30, 3), point(40, 4)),
                List.of(point(90, 5)));
    }

    @Test
    void roundsTicksToOneTwoOrFive() {
        assertThat(SvgChart.niceStep(0.3)).isEqualTo(0.5);
        assertThat(SvgChart.niceStep(1.2)).isEqualTo(2.0);
        assertThat(SvgChart.niceStep(370)).isEqualTo(500.0);
        assertThat(SvgChart.niceStep(6000)).isEqualTo(10_000.0);
    }

    @Test
    void labelsTimeAndValuesAndMarksTheLimit() {
        SvgChart chart = new SvgChart("utilization", FROM, FROM.plus(Duration.ofMinutes(10)), Duration.ofSeconds(15),
                SvgChart.Scale.PERCENT, "no limits");

        String svg = chart.render(List.of(new SvgChart.Series("requests", "#1f77b4", false, SvgChart.Thinning.MEAN,
                List.of(point(0, 0.5), point(10, 0.9)))));

        assertThat(svg).startsWith("<svg ").endsWith("</svg>")
                .contains(">08:00</text>", ">08:02</text>", ">08:10</text>")
                .contains(">0%</text>", ">100%</text>")
                .contains("stroke-dasharray=\"4 3\"")
                .doesNotContain("no limits");
    }

    @Test
    void countsInWholeNumbers() {
        SvgChart chart = new SvgChart("errors", FROM, FROM.plusSeconds(60), Duration.ofSeconds(15),
                SvgChart.Scale.COUNT, "no errors");

        String svg = chart.render(List.of(new SvgChart.Series("timeout", "#d62728", false, SvgChart.Thinning.PEAK,
                List.of(point(0, 0), point(10, 2), point(20, 1)))));

        assertThat(svg).contains(">0</text>", ">1</text>", ">2</text>").doesNotContain(">0.5</text>");
    }

    @Test
    void saysWhyAChartIsEmpty() {
        SvgChart chart = new SvgChart("errors", FROM, FROM.plusSeconds(60), Duration.ofSeconds(15),
                SvgChart.Scale.NUMBER, "no errors");

        String svg = chart.render(List.of(new SvgChart.Series("timeout", "#d62728", false, SvgChart.Thinning.PEAK,
                List.of(point(0, Double.NaN)))));

        assertThat(svg).contains(">no errors</text>").doesNotContain("<polyline", "<circle");
    }

    private static SvgChart.Point point(int seconds, double value) {
        return new SvgChart.Point(FROM.plusSeconds(seconds).toEpochMilli(), value);
    }
}
