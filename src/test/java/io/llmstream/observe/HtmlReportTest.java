package io.llmstream.observe;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmstream.observe.TestWindows.window;
import static org.assertj.core.api.Assertions.assertThat;

class HtmlReportTest {
    private static final Instant FROM = Instant.parse("2026-11-24T08:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-24T08:01:00Z");

    /** Two models over six windows each; gpt-4o fails a little and has a price. */
    private static List<MetricsWindow> windows() {
        List<MetricsWindow> windows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Instant start = FROM.plusSeconds(10L * i);
            windows.add(window("gpt-4o", start).requests(100, i == 3 ? 97 : 100).latency(150, i == 3 ? 1480 : 320, 900)
                    .error("server_error", i == 3 ? 2 : 0).error("timeout", i == 3 ? 1 : 0).rateLimited(i == 2 ? 4 : 0)
                    .tokens(1000, 500, 3000).cost(0.5).build());
            windows.add(window("gpt-4o-mini", start).requests(1200, 1200).latency(80, 200, 260)
                    .tokens(20_000, 10_000, 60_000).utilization(OptionalDouble.empty(), OptionalDouble.of(0.75)).build());
        }
        return windows;
    }

    @Test
    void summarizesEachModelAndAllOfThem() {
        String html = HtmlReport.render(windows(), FROM, TO);

        assertThat(html).startsWith("<!DOCTYPE html>")
                .contains("<h2>gpt-4o</h2>", "<h2>gpt-4o-mini</h2>")
                .contains("Windows starting from 2026-11-24 08:00:00 to 2026-11-24 08:01:00 UTC: 12 windows of 2 models")
                // gpt-4o: 600 requests, 3 failed, 9,000 tokens, $3 of cost, worst p95 in the fourth window
                .contains("<td>6</td><td>600</td><td>99.5%</td><td>3</td><td>server_error 2, timeout 1</td><td>4</td>"
                        + "<td>9,000</td><td>18,000</td><td>$3.0000</td><td>1,480 ms at 2026-11-24 08:00:30</td>")
                // gpt-4o-mini: no price configured
                .contains("<td>6</td><td>7,200</td><td>100.0%</td><td>0</td><td>-</td><td>0</td>"
                        + "<td>180,000</td><td>360,000</td><td>-</td><td>200 ms at 2026-11-24 08:00:00</td>")
                // all models: part of the requests had no price
                .contains("<tr><td>All models</td><td>12</td><td>7,800</td><td>100.0%</td><td>3</td>")
                .contains("<td>$3.0000 (partial)</td><td>1,480 ms at 2026-11-24 08:00:30 (gpt-4o)</td>");
    }

    @Test
    void drawsThroughputLatencyErrorsAndUtilizationOfEachModel() {
        String html = HtmlReport.render(windows(), FROM, TO);

        assertThat(count(html, "<svg ")).isEqualTo(8);
        assertThat(count(html, "</svg>")).isEqualTo(8);
        assertThat(html).contains("<title>gpt-4o: throughput</title>", "<title>gpt-4o: latency</title>",
                "<title>gpt-4o: errors</title>", "<title>gpt-4o: utilization</title>",
                "<title>gpt-4o-mini: utilization</title>");
        assertThat(html).contains("<figcaption>Errors by kind (per window)</figcaption>",
                "<span><i style=\"border-top: 2px solid #d62728\"></i>server_error</span>",
                "<span><i style=\"border-top: 2px solid #9467bd\"></i>timeout</span>");
        assertThat(html).as("gpt-4o-mini had no errors and no 429s").contains(">no errors and no 429 responses</text>");
        // six windows in a line: one polyline with six points per series
        assertThat(html).contains("<g><title>p95</title><polyline");
        assertThat(html).containsPattern("<g><title>requests/s</title><polyline [^>]*points=\"(\\S+ ){5}\\S+\"/>");
    }

    @Test
    void escapesWhatComesFromTheTopic() {
        List<MetricsWindow> windows = List.of(
                window("<script>alert('x')</script>", FROM).error("<b>odd & new</b>", 1).requests(10, 9).build());

        String html = HtmlReport.render(windows, FROM, TO);

        assertThat(html).doesNotContain("<script", "<b>")
                .contains("<h2>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</h2>")
                .contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;: latency</title>")
                .contains("&lt;b&gt;odd &amp; new&lt;/b&gt;");
    }

    @Test
    void needsNothingFromOutsideTheFile() {
        String html = HtmlReport.render(windows(), FROM, TO);

        assertThat(html).doesNotContainIgnoringCase("http")
                .doesNotContain("<script", "<link", "<img", "src=", "url(", "@import", "@font-face");
    }

    @Test
    void breaksLinesWhereWindowsAreMissing() {
        List<MetricsWindow> windows = new ArrayList<>();
        for (int i : new int[] {0, 1, 2, 5, 6}) {
            windows.add(window("m1", FROM.plusSeconds(10L * i)).build());
        }

        String html = HtmlReport.render(windows, FROM, TO);

        Matcher throughput = Pattern.compile("<g><title>requests/s</title>(.*?)</g>").matcher(html);
        assertThat(throughput.find()).isTrue();
        assertThat(count(throughput.group(1), "<polyline")).isEqualTo(2);
    }

    @Test
    void thinsADayOfWindowsToAboutAPointPerPixel() {
        List<MetricsWindow> windows = new ArrayList<>();
        for (int i = 0; i < 8640; i++) {
            windows.add(window("m1", FROM.plusSeconds(10L * i)).latency(100, i == 4321 ? 9999 : 300, 500).build());
        }

        String html = HtmlReport.render(windows, FROM, FROM.plus(Duration.ofDays(1)));

        Matcher p95 = Pattern.compile("<g><title>p95</title><polyline [^>]*points=\"([^\"]*)\"/></g>").matcher(html);
        assertThat(p95.find()).isTrue();
        assertThat(p95.group(1).split(" ")).hasSizeLessThanOrEqualTo(SvgChart.MAX_POINTS);
        assertThat(html).as("the peak survives thinning").contains("9,999 ms at 2026-11-24 20:00:10")
                .contains("each point merges about 2m of windows");
        assertThat(html.length()).isLessThan(300_000);
    }

    @Test
    void summarizesInOneLine() {
        assertThat(HtmlReport.summaryLine(windows())).isEqualTo("2 models, 12 windows: 7,800 requests, 100.0% succeeded, "
                + "189,000 tokens, cost $3.0000 (partial), worst p95 1,480 ms (gpt-4o at 2026-11-24 08:00:30 UTC)");
        assertThat(HtmlReport.summaryLine(List.of(window("m1", FROM).build())))
                .contains("1 model, 1 window: 100 requests", "cost unknown (no price configured)");
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
