package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * {@code llmstream report}: one HTML file that needs nothing else — no scripts, no style sheets, no
 * fonts, charts as inline SVG — so it can be mailed or attached to a ticket. A pure function of the
 * windows, so tests can read what it says.
 */
public final class HtmlReport {
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final String STYLE = String.join("\n",
            "body { font-family: sans-serif; margin: 24px; color: #222; }",
            "table { border-collapse: collapse; margin: 8px 0 24px; }",
            "th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }",
            "th:first-child, td:first-child { text-align: left; }",
            "tfoot td { font-weight: bold; }",
            ".charts { display: flex; flex-wrap: wrap; gap: 16px 28px; }",
            "figure { margin: 0; }",
            "figcaption { font-weight: bold; margin-bottom: 4px; }",
            ".legend { font-size: 12px; }",
            ".legend span { margin-right: 14px; }",
            ".legend i { display: inline-block; width: 16px; margin-right: 4px; vertical-align: middle; }",
            ".note { color: #666; font-size: 13px; }");

    private HtmlReport() {}

    /**
     * Renders the report.
     *
     * @param windows at least one window; any order
     * @param from the start of the range asked for, for the heading
     * @param to its end
     */
    public static String render(List<MetricsWindow> windows, Instant from, Instant to) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one window");
        }
        Map<String, List<MetricsWindow>> byModel = byModel(windows);
        Instant axisFrom = windows.stream().map(MetricsWindow::windowStart).min(Comparator.naturalOrder())
                .orElseThrow();
        Instant axisTo = windows.stream().map(MetricsWindow::windowEnd).max(Comparator.naturalOrder())
                .orElseThrow();
        String range = Formats.dateTime(from) + " to " + Formats.dateTime(to) + " UTC";

        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>llmstream metrics, ").append(Html.escape(range)).append("</title>\n")
                .append("<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n")
                .append("<h1>llmstream metrics</h1>\n")
                .append("<p>Windows starting from ").append(Html.escape(range)).append(": ")
                .append(Formats.count(windows.size(), "window")).append(" of ")
                .append(Formats.count(byModel.size(), "model")).append(". All times are UTC.</p>\n");
        summaryTable(html, byModel, windows);
        int index = 0;
        for (Map.Entry<String, List<MetricsWindow>> model : byModel.entrySet()) {
            modelSection(html, ++index, model.getKey(), model.getValue(), axisFrom, axisTo);
        }
        return html.append("</body>\n</html>\n").toString();
    }

    /** One line for the terminal: models, windows, requests, success, tokens, cost, worst p95. */
    public static String summaryLine(List<MetricsWindow> windows) {
        ModelSummary all = ModelSummary.of("all models", windows);
        int models = byModel(windows).size();
        return Formats.count(models, "model") + ", " + Formats.count(all.windows(), "window") + ": "
                + Formats.count(all.requests(), "request") + ", " + Formats.percent(all.successRate()) + " succeeded, "
                + Formats.count(all.tokens()) + " tokens, cost "
                + (all.costUsd().isPresent() ? all.cost() : "unknown (no price configured)")
                + ", worst p95 " + Formats.count(all.worstP95Ms()) + " ms (" + all.worstP95().model() + " at "
                + Formats.dateTime(all.worstP95At()) + " UTC)";
    }

    private static Map<String, List<MetricsWindow>> byModel(List<MetricsWindow> windows) {
        Map<String, List<MetricsWindow>> byModel = new TreeMap<>();
        for (MetricsWindow window : windows) {
            byModel.computeIfAbsent(window.model(), model -> new ArrayList<>()).add(window);
        }
        byModel.values().forEach(list -> list.sort(Comparator.comparing(MetricsWindow::windowStart)));
        return byModel;
    }

    private static void summaryTable(StringBuilder html, Map<String, List<MetricsWindow>> byModel,
            List<MetricsWindow> windows) {
        html.append("<h2>Summary</h2>\n<table>\n<thead><tr><th>Model</th><th>Windows</th><th>Requests</th>")
                .append("<th>Success rate</th><th>Failed</th><th>Errors by kind</th><th>429 responses</th>")
                .append("<th>Tokens</th><th>Charged tokens</th><th>Cost</th><th>Worst p95</th></tr></thead>\n")
                .append("<tbody>\n");
        int index = 0;
        for (Map.Entry<String, List<MetricsWindow>> model : byModel.entrySet()) {
            ModelSummary summary = ModelSummary.of(model.getKey(), model.getValue());
            summaryRow(html, "<a href=\"#model-" + ++index + "\">" + Html.escape(summary.label()) + "</a>", summary);
        }
        html.append("</tbody>\n");
        if (byModel.size() > 1) {
            html.append("<tfoot>\n");
            summaryRow(html, "All models", ModelSummary.of("all models", windows));
            html.append("</tfoot>\n");
        }
        html.append("</table>\n");
    }

    private static void summaryRow(StringBuilder html, String label, ModelSummary summary) {
        StringJoiner errors = new StringJoiner(", ");
        summary.errors().forEach((kind, count) -> errors.add(kind + " " + Formats.count(count)));
        String worst = Formats.count(summary.worstP95Ms()) + " ms at " + Formats.dateTime(summary.worstP95At())
                + (summary.label().equals(summary.worstP95().model()) ? "" : " (" + summary.worstP95().model() + ")");
        html.append("<tr><td>").append(label).append("</td>");
        for (String cell : new String[] {
                Formats.count(summary.windows()),
                Formats.count(summary.requests()),
                Formats.percent(summary.successRate()),
                Formats.count(summary.failed()),
                errors.length() == 0 ? Formats.NONE : errors.toString(),
                Formats.count(summary.rateLimitedResponses()),
                Formats.count(summary.tokens()),
                Formats.count(summary.chargedTokens()),
                summary.cost(),
                worst}) {
            html.append("<td>").append(Html.escape(cell)).append("</td>");
        }
        html.append("</tr>\n");
    }

    private static void modelSection(StringBuilder html, int index, String model, List<MetricsWindow> windows,
            Instant axisFrom, Instant axisTo) {
        Duration length = medianLength(windows);
        Duration gap = length.multipliedBy(3).dividedBy(2);
        html.append("<section id=\"model-").append(index).append("\">\n<h2>").append(Html.escape(model))
                .append("</h2>\n<p class=\"note\">").append(Formats.count(windows.size(), "window")).append(" of ")
                .append(Html.escape(Formats.age(length))).append("; each point is one window, at its middle.");
        if (SvgChart.thins(windows.size())) {
            html.append(" There are more windows than pixels: each point merges about ")
                    .append(Html.escape(Formats.age(Duration.between(axisFrom, axisTo).dividedBy(SvgChart.MAX_POINTS))))
                    .append(" of windows, by their peak for latency and errors and their mean otherwise.");
        }
        html.append("</p>\n<div class=\"charts\">\n");

        figure(html, new SvgChart(model + ": throughput", axisFrom, axisTo, gap, SvgChart.Scale.NUMBER, "no windows"),
                "Throughput (per second)", List.of(
                        series("requests/s", 0, false, SvgChart.Thinning.MEAN, windows,
                                MetricsWindow::throughputPerSecond),
                        series("succeeded/s", 2, false, SvgChart.Thinning.MEAN, windows,
                                window -> window.succeeded() * 1000.0 / window.length().toMillis())));
        figure(html, new SvgChart(model + ": latency", axisFrom, axisTo, gap, SvgChart.Scale.NUMBER, "no windows"),
                "Latency (ms)", List.of(
                        series("p50", 0, false, SvgChart.Thinning.PEAK, windows, window -> window.latency().p50()),
                        series("p95", 1, false, SvgChart.Thinning.PEAK, windows, window -> window.latency().p95()),
                        series("p99", 3, false, SvgChart.Thinning.PEAK, windows, window -> window.latency().p99()),
                        series("budget wait p95", 7, true, SvgChart.Thinning.PEAK, windows,
                                MetricsWindow::budgetWaitP95Ms)));
        ModelSummary summary = ModelSummary.of(model, windows);
        List<SvgChart.Series> errors = new ArrayList<>();
        int color = 3;
        for (String kind : summary.errors().keySet()) {
            errors.add(series(kind, color++ % PALETTE.length, false, SvgChart.Thinning.PEAK, windows,
                    window -> window.errors(kind)));
        }
        boolean anyTrouble = !errors.isEmpty() || summary.rateLimitedResponses() > 0;
        errors.add(series("429 responses (retried or not)", 1, true, SvgChart.Thinning.PEAK, windows,
                window -> anyTrouble ? window.rateLimitedResponses() : Double.NaN));
        figure(html, new SvgChart(model + ": errors", axisFrom, axisTo, gap, SvgChart.Scale.COUNT,
                "no errors and no 429 responses"), "Errors by kind (per window)", errors);
        figure(html, new SvgChart(model + ": utilization", axisFrom, axisTo, gap, SvgChart.Scale.PERCENT,
                "no rpm or tpm limit configured"), "Utilization of the limits", List.of(
                        series("requests (rpm)", 0, false, SvgChart.Thinning.MEAN, windows,
                                window -> window.requestUtilization().orElse(Double.NaN)),
                        series("tokens (tpm)", 1, false, SvgChart.Thinning.MEAN, windows,
                                window -> window.tokenUtilization().orElse(Double.NaN))));
        html.append("</div>\n</section>\n");
    }

    private static SvgChart.Series series(String name, int color, boolean dashed, SvgChart.Thinning thinning,
            List<MetricsWindow> windows, ToDoubleFunction<MetricsWindow> value) {
        List<SvgChart.Point> points = new ArrayList<>(windows.size());
        for (MetricsWindow window : windows) {
            points.add(new SvgChart.Point(window.midpoint().toEpochMilli(), value.applyAsDouble(window)));
        }
        return new SvgChart.Series(name, PALETTE[color], dashed, thinning, points);
    }

    private static void figure(StringBuilder html, SvgChart chart, String caption, List<SvgChart.Series> series) {
        html.append("<figure>\n<figcaption>").append(Html.escape(caption)).append("</figcaption>\n")
                .append(chart.render(series)).append("\n<div class=\"legend\">");
        for (SvgChart.Series line : series) {
            String swatch = line.dashed() ? "border-top: 2px dashed " + line.color() : "border-top: 2px solid "
                    + line.color();
            html.append("<span><i style=\"").append(swatch).append("\"></i>").append(Html.escape(line.name()))
                    .append("</span>");
        }
        html.append("</div>\n</figure>\n");
    }

    private static Duration medianLength(List<MetricsWindow> windows) {
        List<Duration> lengths = new ArrayList<>();
        windows.forEach(window -> lengths.add(window.length()));
        lengths.sort(Comparator.naturalOrder());
        return lengths.get(lengths.size() / 2);
    }
}
