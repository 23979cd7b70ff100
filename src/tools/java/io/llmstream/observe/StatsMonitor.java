package io.llmstream.observe;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code llmstream stats}: the latest window of each model, printed once or kept up to date. Reading
 * starts a few minutes back (at least {@link #TAIL_RECORDS} records per partition) so the first table
 * already shows every model that is being written.
 */
public final class StatsMonitor {
    /** How long {@link #printLatest()} waits for a first window. */
    public static final Duration ONCE_TIMEOUT = Duration.ofSeconds(10);
    /** How often the live table is redrawn. */
    public static final Duration REFRESH = Duration.ofSeconds(2);
    static final int TAIL_RECORDS = 200;
    private static final Duration POLL = Duration.ofMillis(200);
    /** ANSI: cursor home, clear screen. */
    private static final String CLEAR_SCREEN = "\033[H\033[2J";

    private final MetricsTopic topic;
    private final Duration window;
    private final PrintStream out;
    private final Clock clock;

    /**
     * @param window the job's metrics window (metrics.window): how far back to start, and when a model's
     *     latest window counts as stale (three windows without a newer one)
     */
    public StatsMonitor(MetricsTopic topic, Duration window, PrintStream out) {
        this(topic, window, out, Clock.systemUTC());
    }

    StatsMonitor(MetricsTopic topic, Duration window, PrintStream out, Clock clock) {
        this.topic = topic;
        this.window = window;
        this.out = out;
        this.clock = clock;
    }

    /**
     * Prints the latest window of each model once the windows already in the topic have been read.
     *
     * @throws MetricsUnavailableException if the topic does not exist or no window arrives within
     *     {@link #ONCE_TIMEOUT}
     */
    public void printLatest() {
        Instant deadline = clock.instant().plus(ONCE_TIMEOUT);
        try (MetricsConsumer consumer = new MetricsConsumer(topic)) {
            consumer.assignOrFail();
            consumer.startAt(clock.instant().minus(lookback()), TAIL_RECORDS);
            LatestWindows latest = new LatestWindows();
            do {
                latest.addAll(consumer.poll(POLL));
            } while ((latest.isEmpty() || !consumer.caughtUp()) && clock.instant().isBefore(deadline));
            if (latest.isEmpty()) {
                throw new MetricsUnavailableException("no metrics windows in " + topic + " within "
                        + ONCE_TIMEOUT.toSeconds() + " s; is the job running?" + consumer.unreadableNote());
            }
            out.println("Latest window of each model in " + topic + " (times UTC):");
            out.print(StatsTable.render(latest.windows(), clock.instant(), staleAfter()));
            out.flush();
        }
    }

    /**
     * Keeps showing the latest windows until interrupted: redrawn in place every {@link #REFRESH} on a
     * terminal, otherwise (a pipe, a log file) one table each time a newer window has arrived.
     */
    public void follow(boolean terminal) throws InterruptedException {
        try (MetricsConsumer consumer = new MetricsConsumer(topic)) {
            boolean waitedForTopic = false;
            while (!consumer.assign()) {
                if (!waitedForTopic) {
                    out.println("Waiting for " + topic + " to exist ...");
                    out.flush();
                    waitedForTopic = true;
                }
                Thread.sleep(REFRESH.toMillis());
            }
            consumer.startAt(clock.instant().minus(lookback()), TAIL_RECORDS);
            LatestWindows latest = new LatestWindows();
            Optional<Instant> printedUpTo = Optional.empty();
            boolean waitedForWindows = false;
            while (!Thread.currentThread().isInterrupted()) {
                Instant next = clock.instant().plus(REFRESH);
                do {
                    latest.addAll(consumer.poll(POLL));
                } while (clock.instant().isBefore(next));
                Instant now = clock.instant();
                if (terminal) {
                    out.print(CLEAR_SCREEN + "llmstream stats    " + topic + "    " + Formats.dateTime(now)
                            + " UTC    Ctrl-C quits\n\n" + StatsTable.render(latest.windows(), now, staleAfter()));
                } else if (!latest.isEmpty() && consumer.caughtUp() && isNewer(latest.newestEnd(), printedUpTo)) {
                    out.print("\n" + Formats.dateTime(now) + " UTC, latest windows in " + topic + ":\n"
                            + StatsTable.render(latest.windows(), now, staleAfter()));
                    printedUpTo = latest.newestEnd();
                } else if (latest.isEmpty() && consumer.caughtUp() && !waitedForWindows) {
                    out.println("Waiting for metrics windows in " + topic + " ...");
                    waitedForWindows = true;
                }
                out.flush();
            }
        }
    }

    private static boolean isNewer(Optional<Instant> newest, Optional<Instant> printed) {
        return newest.isPresent() && (printed.isEmpty() || newest.get().isAfter(printed.get()));
    }

    /** Far enough back for a first table with every model, even with long windows. */
    Duration lookback() {
        Duration thirtyWindows = window.multipliedBy(30);
        return thirtyWindows.compareTo(Duration.ofMinutes(5)) > 0 ? thirtyWindows : Duration.ofMinutes(5);
    }

    Duration staleAfter() {
        return window.multipliedBy(3);
    }
}
