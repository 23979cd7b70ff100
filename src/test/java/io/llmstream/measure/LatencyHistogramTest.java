package io.llmstream.measure;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyHistogramTest {

    @Test
    void isExactBelow128Milliseconds() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int value = 1; value <= 100; value++) {
            histogram.record(value);
        }

        assertThat(histogram.quantile(0.5)).isEqualTo(50);
        assertThat(histogram.quantile(0.95)).isEqualTo(95);
        assertThat(histogram.quantile(0.99)).isEqualTo(99);
        assertThat(histogram.quantile(1.0)).isEqualTo(100);
        assertThat(histogram.max).isEqualTo(100);
    }

    @Test
    void bucketsCoverEveryValueContiguously() {
        for (long value = 0; value < 1_000_000; value += value < 5000 ? 1 : 997) {
            int index = LatencyHistogram.indexOf(value);
            assertThat(LatencyHistogram.lowerBoundOf(index)).isLessThanOrEqualTo(value);
            assertThat(LatencyHistogram.lowerBoundOf(index + 1)).isGreaterThan(value);
        }
    }

    @Test
    void percentilesStayWithinOnePercentOfTheExactOnes() {
        Random random = new Random(42);
        long[] values = new long[20_000];
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(5 + random.nextGaussian());
            histogram.record(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.5, 0.95, 0.99}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            assertThat((double) histogram.quantile(q)).as("p" + q).isCloseTo(exact, within(exact * 0.01 + 0.5));
        }
    }

    @Test
    void mergingEqualsRecordingEverythingInOne() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        LatencyHistogram all = new LatencyHistogram();
        for (int i = 0; i < 1000; i++) {
            long value = (i * 7919L) % 30_000;
            (i % 2 == 0 ? a : b).record(value);
            all.record(value);
        }
        a.merge(b);

        assertThat(a.total).isEqualTo(all.total);
        assertThat(a.quantile(0.95)).isEqualTo(all.quantile(0.95));
        assertThat(a.min).isEqualTo(all.min);
        assertThat(a.max).isEqualTo(all.max);
    }

    @Test
    void anEmptyHistogramReportsZero() {
        assertThat(new LatencyHistogram().quantile(0.99)).isZero();
    }
}
