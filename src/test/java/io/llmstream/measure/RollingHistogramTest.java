package io.llmstream.measure;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The Flink histogram and the utilization gauge, with time moved by hand. */
class RollingHistogramTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(0);

    @Test
    void reportsTheLastOneToTwoIntervalsAndCountsEverything() {
        RollingHistogram histogram = new RollingHistogram(60 * SECOND, now::get);
        for (int i = 1; i <= 100; i++) {
            histogram.update(i);
        }
        assertThat(histogram.getStatistics().getQuantile(0.95)).isEqualTo(95);

        now.set(61 * SECOND);
        histogram.update(1000);
        assertThat(histogram.getStatistics().size()).as("this interval and the previous").isEqualTo(101);
        assertThat(histogram.getStatistics().getMax()).isEqualTo(1000);

        now.set(125 * SECOND);
        histogram.update(7);
        assertThat(histogram.getStatistics().size()).as("the first interval rolled out").isEqualTo(2);
        assertThat(histogram.getStatistics().getMin()).isEqualTo(7);

        now.set(400 * SECOND);
        assertThat(histogram.getStatistics().size()).as("idle for two intervals").isZero();
        assertThat(histogram.getStatistics().getQuantile(0.99)).isZero();
        assertThat(histogram.getCount()).isEqualTo(102);
    }

    @Test
    void theMeanAndDeviationComeFromTheBuckets() {
        RollingHistogram histogram = new RollingHistogram(60 * SECOND, now::get);
        histogram.update(10);
        histogram.update(20);

        assertThat(histogram.getStatistics().getMean()).isEqualTo(15.0);
        assertThat(histogram.getStatistics().getStdDev()).isEqualTo(5.0);
    }

    @Test
    void utilizationIsTheRecentRateAgainstThePerMinuteLimit() {
        AtomicLong admitted = new AtomicLong();
        RecentUtilization utilization = new RecentUtilization(admitted::get, 600, now::get);

        now.set(SECOND / 2);
        admitted.set(100);
        assertThat(utilization.getValue()).as("under a second: nothing yet").isZero();

        now.set(10 * SECOND);
        admitted.set(90);
        assertThat(utilization.getValue()).as("90 in 10 s is 540 per minute").isCloseTo(0.9, within(1e-9));

        now.set(20 * SECOND);
        admitted.set(190);
        assertThat(utilization.getValue()).as("100 more in the last 10 s").isCloseTo(1.0, within(1e-9));

        assertThat(new RecentUtilization(admitted::get, 0, now::get).getValue()).as("no limit").isEqualTo(-1.0);
    }
}
