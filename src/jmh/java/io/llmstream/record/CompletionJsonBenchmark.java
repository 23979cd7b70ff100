package io.llmstream.record;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The value of one completion record, as the completions sink writes it. */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
public class CompletionJsonBenchmark {
    private final Completion completion = new Completion("s-123456", "gpt-4o-mini",
            "Echo[3f2a]: Tag item 123456 with one", "length", null, 16, 8, 24, 1, 3, 0, 2, null, null,
            "{\"customer\": 42}");

    @Benchmark
    public byte[] completion() {
        return RecordJson.completion(completion);
    }
}
