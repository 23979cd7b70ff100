package io.llmstream.observe;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The newest window of each model seen so far; records arriving out of order do not step back in time. */
final class LatestWindows {
    private final Map<String, MetricsWindow> byModel = new TreeMap<>();

    /** Keeps each window that is as new as the model's latest or newer; a rewrite of the same window wins. */
    void addAll(Collection<MetricsWindow> windows) {
        for (MetricsWindow window : windows) {
            byModel.merge(window.model(), window,
                    (kept, arrived) -> arrived.windowStart().isBefore(kept.windowStart()) ? kept : arrived);
        }
    }

    /** One window per model, in model order. */
    List<MetricsWindow> windows() {
        return List.copyOf(byModel.values());
    }

    boolean isEmpty() {
        return byModel.isEmpty();
    }

    /** When the newest window of any model ended. */
    Optional<Instant> newestEnd() {
        return byModel.values().stream().map(MetricsWindow::windowEnd).max(Instant::compareTo);
    }
}
