package io.llmstream.limit;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The admission path every request takes: a ticket into the model's dispatcher, GCRA over two keys'
 * RPM and TPM buckets, and out to its admission callback. Time advances 1 ms per request (1000 rps
 * against limits far above), so every ticket is admitted at once.
 */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ModelDispatcherBenchmark {
    private ModelDispatcher dispatcher;
    private long now = 1_000_000_000_000L;
    private Blackhole blackhole;

    @Setup
    public void setUp(Blackhole blackhole) {
        this.blackhole = blackhole;
        LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(
                "endpoints: {e: {base-url: 'http://x', api-keys: [a, b]}}\n"
                        + "models: {m: {endpoint: e, rpm: 1000000000, tpm: 100000000000}}");
        DispatchTimer timer = new DispatchTimer() {
            @Override
            public long nowMicros() {
                return now;
            }

            @Override
            public Runnable schedule(Runnable task, long atMicros) {
                return () -> { };
            }
        };
        dispatcher = new ModelDispatcher(config.model("m"), config.endpointOf("m"), config.call().breaker(), timer);
    }

    @Benchmark
    public void submitAndAdmit() {
        now += 1000;
        dispatcher.submit(new Ticket(0, 10, 10_000_000, 120, now, 0, new Ticket.Admission() {
            @Override
            public void admitted(int keyIndex, long waitedMicros) {
                blackhole.consume(keyIndex);
            }

            @Override
            public void refused(String reason) {
                blackhole.consume(reason);
            }
        }));
    }
}
