package io.llmstream.local.bench;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.core.execution.JobClient;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Capacity-bound runs: no rate limit and a provider that answers in 200 ms, so the job completes about
 * capacity × parallelism / 0.2 s prompts per second if it keeps every instance's capacity in flight.
 * The mock's own counters are the ground truth: requests answered per second over the steady part, and
 * the most requests it had open at once.
 *
 * <ul>
 *   <li>{@code capacity} (issue 9): {@code call.capacity: 256}, one instance, everything else default:
 *       &ge; 95% of 1,280 completions/s.
 *   <li>{@code parallel} (issue 10): capacity 100 at parallelism 1, 2 and 4: a model without limits spreads
 *       over every instance; at 4, &ge; 80% of 2,000 completions/s.
 * </ul>
 */
final class ThroughputBench {
    static final String NAME = "capacity";
    static final String PARALLEL_NAME = "parallel";
    static final long LATENCY_MS = 200;
    private static final String MODEL = "gpt-4o-mini";
    /** The first seconds (JIT, connections, the source's first fetches) are left out. */
    private static final Duration WARM_UP = Duration.ofSeconds(10);

    private final PrintStream out;
    private final Duration duration;
    private final int capacity;
    private final int parallelism;
    private final double share;

    /**
     * @param share of the expected completions per second that passes
     */
    ThroughputBench(PrintStream out, Duration duration, int capacity, int parallelism, double share) {
        this.out = out;
        this.duration = duration;
        this.capacity = capacity;
        this.parallelism = parallelism;
        this.share = share;
    }

    static String goal(int capacity, int parallelism, double share) {
        return String.format("no limit, %d ms latency, call.capacity %d, parallelism %d: >= %.0f%% of %,.0f "
                + "completions/s, %d requests in flight", LATENCY_MS, capacity, parallelism, 100 * share,
                expected(capacity, parallelism), capacity * parallelism);
    }

    private static double expected(int capacity, int parallelism) {
        return capacity * parallelism * 1000.0 / LATENCY_MS;
    }

    /** Runs the scenario; returns whether it met its goal. */
    Result run() throws Exception {
        out.printf("%n== %s: %s (%d s)%n", parallelism == 1 && capacity != 100 ? NAME : PARALLEL_NAME,
                goal(capacity, parallelism, share), duration.toSeconds());
        double expected = expected(capacity, parallelism);
        int prompts = (int) (expected * (duration.toSeconds() + 30));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(29)
                        .latencyMs(LATENCY_MS).latencySigma(0).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? Math.max(2, parallelism) : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", prompts,
                    i -> "{\"id\": \"t-" + i + "\", \"prompt\": \"Tag item " + i + " with one word.\", \"max_tokens\": 8}");
            out.printf("   produced %,d prompts%n", prompts);
            LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                    "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                    "models: {" + MODEL + ": {endpoint: mock}}",
                    "call: {capacity: " + capacity + "}",
                    "job: {name: llmstream-bench-throughput, parallelism: " + parallelism + "}"));
            JobClient job = BenchRunner.submit(config, true);
            long started = System.nanoTime();
            long warmEnd = started + WARM_UP.toNanos();
            long end = started + WARM_UP.plus(duration).toNanos();
            while (System.nanoTime() < warmEnd) {
                TimeUnit.MILLISECONDS.sleep(200);
            }
            long firstRequests = answered(mock.stats());
            long firstNanos = System.nanoTime();
            long nextPrint = firstNanos;
            while (System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(200);
                if (System.nanoTime() >= nextPrint) {
                    MockStats stats = mock.stats();
                    out.printf("   [%5.1fs] %,d answered, %d in flight (max %d)%n", (System.nanoTime() - started) / 1e9,
                            answered(stats), stats.inFlight(), stats.maxInFlight());
                    nextPrint += Duration.ofSeconds(10).toNanos();
                }
            }
            MockStats last = mock.stats();
            double perSecond = (answered(last) - firstRequests) / ((System.nanoTime() - firstNanos) / 1e9);
            job.cancel().get(30, TimeUnit.SECONDS);
            Result result = new Result(capacity, parallelism, share, perSecond, last.maxInFlight());
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    private static long answered(MockStats stats) {
        return stats.responsesByStatus().getOrDefault(200, 0L);
    }

    /** Completions per second over the steady part, and the most requests the mock had open at once. */
    record Result(int capacity, int parallelism, double share, double perSecond, long maxInFlight) {
        boolean passed() {
            return perSecond >= share * expected(capacity, parallelism);
        }

        String verdict() {
            return String.format("%s: parallelism %d, capacity %d: %,.0f completions/s (%.1f%% of %,.0f), at most %d "
                    + "requests in flight at the mock", passed() ? "PASS" : "FAIL", parallelism, capacity, perSecond,
                    100 * perSecond / expected(capacity, parallelism), expected(capacity, parallelism), maxInFlight);
        }
    }
}
