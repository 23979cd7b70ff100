package io.llmstream.measure;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Recording one latency into a window's histogram. */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LatencyHistogramBenchmark {
    private final LatencyHistogram histogram = new LatencyHistogram();
    private long value = 17;

    @Benchmark
    public void record() {
        value = (value * 6364136223846793005L + 1442695040888963407L) & 0x3FFF;
        histogram.record(value);
    }
}
