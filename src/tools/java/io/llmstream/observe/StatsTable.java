package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The {@code stats} table: one line per model with its latest window, columns padded to their widest
 * cell. A pure function of the windows and the clock, so a test can pin every character.
 */
final class StatsTable {
    private static final String[] HEADERS = {"MODEL", "WINDOW (UTC)", "AGE", "REQ/S", "OK", "P50 ms", "P95 ms",
            "P99 ms", "429s", "ERRORS", "REQ UTIL", "TOK UTIL", "TOK/S", "COST"};
    /** Columns of text, left-aligned; numbers are right-aligned. */
    private static final boolean[] LEFT = {true, true, false, false, false, false, false,
            false, false, true, false, false, false, false};
    private static final String GAP = "  ";

    private StatsTable() {}

    /**
     * Renders the table.
     *
     * @param latest the latest window of each model (one per model)
     * @param now the clock, for the windows' age
     * @param staleAfter a window that ended longer ago than this is marked stale: the job wrote none since
     */
    static String render(Collection<MetricsWindow> latest, Instant now, Duration staleAfter) {
        if (latest.isEmpty()) {
            return "no metrics windows yet\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADERS);
        Map<String, String> abbreviations = new TreeMap<>();
        boolean anyStale = false;
        List<MetricsWindow> windows = new ArrayList<>(latest);
        windows.sort(Comparator.comparing(MetricsWindow::model));
        for (MetricsWindow window : windows) {
            Duration age = Duration.between(window.windowEnd(), now);
            boolean stale = age.compareTo(staleAfter) > 0;
            anyStale |= stale;
            window.errors().keySet().stream().filter(ErrorKindNames::abbreviated)
                    .forEach(kind -> abbreviations.put(ErrorKindNames.shortName(kind), kind));
            rows.add(new String[] {
                    window.model(),
                    Formats.time(window.windowStart()) + "-" + Formats.time(window.windowEnd()),
                    Formats.age(age) + (stale ? " stale" : ""),
                    Formats.rate(window.throughputPerSecond()),
                    Formats.percent(window.successRate()),
                    Formats.count(window.latency().p50()),
                    Formats.count(window.latency().p95()),
                    Formats.count(window.latency().p99()),
                    Formats.count(window.rateLimitedResponses()),
                    errors(window.errors()),
                    Formats.percent(window.requestUtilization()),
                    Formats.percent(window.tokenUtilization()),
                    Formats.rate(window.tokensPerSecond()),
                    Formats.usd(window.costUsd())});
        }
        StringBuilder table = new StringBuilder();
        int[] widths = widths(rows);
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int column = 0; column < row.length; column++) {
                if (column > 0) {
                    line.append(GAP);
                }
                String padding = " ".repeat(widths[column] - row[column].length());
                line.append(LEFT[column] ? row[column] + padding : padding + row[column]);
            }
            table.append(line.toString().stripTrailing()).append('\n');
        }
        if (!abbreviations.isEmpty()) {
            StringJoiner legend = new StringJoiner(", ", "errors: ", "\n");
            abbreviations.forEach((shortName, kind) -> legend.add(shortName + " = " + kind));
            table.append(legend);
        }
        if (anyStale) {
            table.append("stale: no newer window for over ").append(Formats.age(staleAfter))
                    .append("; is the job running?\n");
        }
        return table.toString();
    }

    private static String errors(Map<String, Long> errors) {
        if (errors.isEmpty()) {
            return Formats.NONE;
        }
        StringJoiner cell = new StringJoiner(" ");
        errors.forEach((kind, count) -> cell.add(ErrorKindNames.shortName(kind) + ":" + count));
        return cell.toString();
    }

    private static int[] widths(List<String[]> rows) {
        int[] widths = new int[HEADERS.length];
        for (String[] row : rows) {
            for (int column = 0; column < row.length; column++) {
                widths[column] = Math.max(widths[column], row[column].length());
            }
        }
        return widths;
    }
}
