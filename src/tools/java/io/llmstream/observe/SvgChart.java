package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A line chart over time as inline SVG: grid, axes with round ticks, one polyline per series, broken
 * where values are missing or windows are. Series longer than {@link #MAX_POINTS} are thinned to one
 * point per bucket of time, by their mean or their peak, so a day of 10-second windows stays small.
 */
final class SvgChart {
    static final int WIDTH = 600;
    static final int HEIGHT = 220;
    /** At most one point per pixel, about. */
    static final int MAX_POINTS = WIDTH;
    private static final int LEFT = 62;
    private static final int RIGHT = 30;
    private static final int TOP = 12;
    private static final int BOTTOM = 28;
    private static final long[] X_STEPS_SECONDS = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
            10_800, 21_600, 43_200, 86_400, 172_800, 604_800};
    private static final int MAX_X_TICKS = 7;
    private static final String AXIS_COLOR = "#888";
    private static final String GRID_COLOR = "#e4e4e4";
    private static final String TEXT_COLOR = "#555";

    /** How the y axis reads its values. */
    enum Scale {
        /** Plain numbers from zero up. */
        NUMBER,
        /** Whole numbers from zero up: ticks at least one apart. */
        COUNT,
        /** Fractions shown as percentages, always up to 100% at least, with a line at 100%. */
        PERCENT
    }

    /** How a thinned series merges the values of one bucket. */
    enum Thinning { MEAN, PEAK }

    /** One value at one time; a NaN value is a hole in the line. */
    record Point(long epochMillis, double value) {}

    /** One line of the chart. */
    record Series(String name, String color, boolean dashed, Thinning thinning, List<Point> points) {
        Series {
            points = List.copyOf(points);
        }
    }

    private final String title;
    private final long from;
    private final long to;
    private final long gapMillis;
    private final Scale scale;
    private final String emptyNote;

    /**
     * @param from where the time axis starts
     * @param to where it ends, after {@code from}
     * @param gap a line breaks where consecutive points are further apart than this: windows are missing
     * @param emptyNote shown in the chart when no series has a value
     */
    SvgChart(String title, Instant from, Instant to, Duration gap, Scale scale, String emptyNote) {
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException(
                    "a chart's time axis must end after it starts, was " + from + " to " + to);
        }
        this.title = title;
        this.from = from.toEpochMilli();
        this.to = to.toEpochMilli();
        this.gapMillis = gap.toMillis();
        this.scale = scale;
        this.emptyNote = emptyNote;
    }

    /** Whether series of this many points are thinned. */
    static boolean thins(int points) {
        return points > MAX_POINTS;
    }

    String render(List<Series> series) {
        long bucket = Math.max(1, (to - from + MAX_POINTS - 1) / MAX_POINTS);
        List<Series> shown = new ArrayList<>();
        boolean thinned = false;
        double max = 0;
        boolean anyValue = false;
        for (Series line : series) {
            Series thin = thins(line.points().size()) ? thin(line, bucket) : line;
            thinned |= thin != line;
            shown.add(thin);
            for (Point point : thin.points()) {
                if (Double.isFinite(point.value())) {
                    anyValue = true;
                    max = Math.max(max, point.value());
                }
            }
        }
        long gap = thinned ? Math.max(gapMillis, 2 * bucket) : gapMillis;
        double top = scale == Scale.PERCENT ? Math.max(max, 1.0) : (max > 0 ? max : 1.0);
        double step = scale == Scale.COUNT ? Math.max(1, niceStep(top / 4)) : niceStep(top / 4);
        top = Math.ceil(top / step - 1e-9) * step;

        StringBuilder svg = new StringBuilder(4096);
        svg.append("<svg viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" role=\"img\" aria-label=\"")
                .append(Html.escape(title)).append("\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.append("<title>").append(Html.escape(title)).append("</title>");
        for (int tick = 0; tick * step <= top + step / 2; tick++) {
            double value = tick * step;
            double y = y(value, top);
            line(svg, LEFT, y, WIDTH - RIGHT, y, GRID_COLOR, null);
            text(svg, LEFT - 6, y + 4, "end", yLabel(value, step));
        }
        if (scale == Scale.PERCENT) {
            line(svg, LEFT, y(1.0, top), WIDTH - RIGHT, y(1.0, top), "#c0392b", "4 3");
        }
        xTicks(svg);
        line(svg, LEFT, TOP, LEFT, HEIGHT - BOTTOM, AXIS_COLOR, null);
        line(svg, LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, AXIS_COLOR, null);
        for (Series line : shown) {
            svg.append("<g><title>").append(Html.escape(line.name())).append("</title>");
            for (List<Point> segment : segments(line.points(), gap)) {
                if (segment.size() == 1) {
                    svg.append("<circle cx=\"").append(coordinate(x(segment.get(0).epochMillis())))
                            .append("\" cy=\"").append(coordinate(y(segment.get(0).value(), top)))
                            .append("\" r=\"2\" fill=\"").append(line.color()).append("\"/>");
                } else {
                    svg.append("<polyline fill=\"none\" stroke=\"").append(line.color())
                            .append("\" stroke-width=\"1.5\"");
                    if (line.dashed()) {
                        svg.append(" stroke-dasharray=\"5 3\"");
                    }
                    svg.append(" points=\"");
                    for (Point point : segment) {
                        svg.append(coordinate(x(point.epochMillis()))).append(',')
                                .append(coordinate(y(point.value(), top))).append(' ');
                    }
                    svg.setLength(svg.length() - 1);
                    svg.append("\"/>");
                }
            }
            svg.append("</g>");
        }
        if (!anyValue) {
            text(svg, (LEFT + WIDTH - RIGHT) / 2.0, (TOP + HEIGHT - BOTTOM) / 2.0, "middle", emptyNote);
        }
        return svg.append("</svg>").toString();
    }

    private void xTicks(StringBuilder svg) {
        long span = to - from;
        long step = X_STEPS_SECONDS[X_STEPS_SECONDS.length - 1] * 1000;
        for (long seconds : X_STEPS_SECONDS) {
            if (span / (seconds * 1000) < MAX_X_TICKS) {
                step = seconds * 1000;
                break;
            }
        }
        String pattern = span > Duration.ofDays(1).toMillis() ? "MM-dd HH:mm" : step < 60_000 ? "HH:mm:ss" : "HH:mm";
        DateTimeFormatter format = DateTimeFormatter.ofPattern(pattern).withZone(ZoneOffset.UTC);
        for (long tick = Math.floorDiv(from + step - 1, step) * step; tick <= to; tick += step) {
            double x = x(tick);
            line(svg, x, HEIGHT - BOTTOM, x, HEIGHT - BOTTOM + 4, AXIS_COLOR, null);
            text(svg, x, HEIGHT - BOTTOM + 16, "middle", format.format(Instant.ofEpochMilli(tick)));
        }
    }

    /** Splits a line where a value is missing or the next point is more than {@code gap} away. */
    static List<List<Point>> segments(List<Point> points, long gap) {
        List<List<Point>> segments = new ArrayList<>();
        List<Point> current = new ArrayList<>();
        for (Point point : points) {
            boolean hole = !Double.isFinite(point.value());
            boolean jump = !current.isEmpty()
                    && point.epochMillis() - current.get(current.size() - 1).epochMillis() > gap;
            if ((hole || jump) && !current.isEmpty()) {
                segments.add(current);
                current = new ArrayList<>();
            }
            if (!hole) {
                current.add(point);
            }
        }
        if (!current.isEmpty()) {
            segments.add(current);
        }
        return segments;
    }

    private Series thin(Series line, long bucket) {
        Map<Long, double[]> buckets = new TreeMap<>();
        for (Point point : line.points()) {
            if (Double.isFinite(point.value())) {
                double[] sumCountPeak = buckets.computeIfAbsent((point.epochMillis() - from) / bucket,
                        index -> new double[] {0, 0, Double.NEGATIVE_INFINITY});
                sumCountPeak[0] += point.value();
                sumCountPeak[1]++;
                sumCountPeak[2] = Math.max(sumCountPeak[2], point.value());
            }
        }
        List<Point> points = new ArrayList<>(buckets.size());
        buckets.forEach((index, sumCountPeak) -> points.add(new Point(from + index * bucket + bucket / 2,
                line.thinning() == Thinning.PEAK ? sumCountPeak[2] : sumCountPeak[0] / sumCountPeak[1])));
        return new Series(line.name(), line.color(), line.dashed(), line.thinning(), points);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double residual = raw / magnitude;
        double nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private String yLabel(double value, double step) {
        double shown = scale == Scale.PERCENT ? value * 100 : value;
        double shownStep = scale == Scale.PERCENT ? step * 100 : step;
        int decimals = shownStep >= 1 ? 0 : (int) Math.ceil(-Math.log10(shownStep) - 1e-9);
        String number = String.format(Locale.ROOT, "%,." + decimals + "f", shown);
        return scale == Scale.PERCENT ? number + "%" : number;
    }

    private double x(long epochMillis) {
        double share = (double) (epochMillis - from) / (to - from);
        return LEFT + Math.max(0, Math.min(1, share)) * (WIDTH - LEFT - RIGHT);
    }

    private static double y(double value, double top) {
        return TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM);
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String color, String dash) {
        svg.append("<line x1=\"").append(coordinate(x1)).append("\" y1=\"").append(coordinate(y1))
                .append("\" x2=\"").append(coordinate(x2)).append("\" y2=\"").append(coordinate(y2))
                .append("\" stroke=\"").append(color).append('"');
        if (dash != null) {
            svg.append(" stroke-dasharray=\"").append(dash).append('"');
        }
        svg.append("/>");
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String text) {
        svg.append("<text x=\"").append(coordinate(x)).append("\" y=\"").append(coordinate(y))
                .append("\" text-anchor=\"").append(anchor).append("\" fill=\"").append(TEXT_COLOR).append("\">")
                .append(Html.escape(text)).append("</text>");
    }

    private static String coordinate(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
