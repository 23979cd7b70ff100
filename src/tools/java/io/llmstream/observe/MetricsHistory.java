package io.llmstream.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The windows of a time range, for the report. Reading starts at the first record written at
 * {@code from} (less {@link #CLOCK_SKEW}): a window is written when it closes, so never before it starts.
 * It stops where records were written {@link #LATE_WRITES} after {@code to}, or at the end of the topic.
 */
public final class MetricsHistory {
    /** Covers a job's and a broker's clocks that disagree. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
    /** How long after {@code to} a window that started before it may still be written: its length plus lag. */
    static final Duration LATE_WRITES = Duration.ofMinutes(15);
    /** Gives up on the rest of the topic when it delivers nothing for this long. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(500);

    private MetricsHistory() {}

    /**
     * The windows whose {@code window_start} is in {@code [from, to)}, by model then start. A window
     * written twice (at-least-once delivery, a replayed checkpoint) is kept once: its last version.
     *
     * @throws MetricsUnavailableException if the topic does not exist or holds no window in the range
     */
    public static List<MetricsWindow> read(MetricsTopic topic, Instant from, Instant to) {
        Map<String, MetricsWindow> windows = new LinkedHashMap<>();
        try (MetricsConsumer consumer = new MetricsConsumer(topic)) {
            consumer.assignOrFail();
            consumer.startAt(from.minus(CLOCK_SKEW), 0);
            consumer.stopAfter(to.plus(LATE_WRITES));
            long idleSince = System.nanoTime();
            long read = 0;
            while (!consumer.caughtUp() && System.nanoTime() - idleSince < IDLE_TIMEOUT.toNanos()) {
                for (MetricsWindow window : consumer.poll(POLL)) {
                    if (!window.windowStart().isBefore(from) && window.windowStart().isBefore(to)) {
                        windows.put(window.model() + "\n" + window.windowStart(), window);
                    }
                }
                if (consumer.recordsRead() > read) {
                    read = consumer.recordsRead();
                    idleSince = System.nanoTime();
                }
            }
            if (windows.isEmpty()) {
                throw new MetricsUnavailableException("no metrics windows starting from " + from + " to " + to
                        + " in " + topic + consumer.unreadableNote());
            }
        }
        List<MetricsWindow> sorted = new ArrayList<>(windows.values());
        sorted.sort(Comparator.comparing(MetricsWindow::model).thenComparing(MetricsWindow::windowStart));
        return sorted;
    }
}
