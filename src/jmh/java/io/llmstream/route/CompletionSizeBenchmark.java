package io.llmstream.route;

import io.llmstream.record.Completion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The record-size bound on every completion: the cheap upper bound that answers nearly all of them, and
 * a completion near the bound that has to be written out and measured.
 */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CompletionSizeBenchmark {
    private static final int MAX_RECORD_BYTES = 1_048_576;
    private final Completion usual = new Completion("s-123456", "gpt-4o-mini",
            "Echo[3f2a]: Tag item 123456 with one", "length", null, 16, 8, 24, 1, 3, 0, 2, null, null, null);
    private final Completion nearTheBound = new Completion("s-123457", "gpt-4o-mini",
            "x".repeat(MAX_RECORD_BYTES / 4), "stop", null, 16, 8, 24, 1, 3, 0, 2, null, null, null);

    @Benchmark
    public long usualCompletion() {
        return CompletionSize.excess(usual, MAX_RECORD_BYTES);
    }

    @Benchmark
    public long completionNearTheBound() {
        return CompletionSize.excess(nearTheBound, MAX_RECORD_BYTES);
    }
}
