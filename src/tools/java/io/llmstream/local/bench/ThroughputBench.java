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
 * Issue 9's capacity scenario: no rate limit, a provider that answers in 200 ms, and {@code call.capacity:
 * 256} with everything else on its defaults. The job should keep 256 requests in flight, so it completes
 * about 256 / 0.2 s = 1,280 prompts per second. The mock's own counters are the ground truth: requests
 * answered per second over the steady part, and the most requests it had open at once.
 */
final class ThroughputBench {
    static final String NAME = "capacity";
    static final int CAPACITY = 256;
    static final long LATENCY_MS = 200;
    static final double EXPECTED_PER_SECOND = CAPACITY * 1000.0 / LATENCY_MS;
    static final String GOAL = String.format("no limit, %d ms latency, call.capacity %d: >= 95%% of %,.0f "
            + "completions/s, %d requests in flight", LATENCY_MS, CAPACITY, EXPECTED_PER_SECOND, CAPACITY);
    private static final String MODEL = "gpt-4o-mini";
    /** The first seconds (JIT, connections, the source's first fetches) are left out. */
    private static final Duration WARM_UP = Duration.ofSeconds(10);

    private final PrintStream out;
    private final Duration duration;

    ThroughputBench(PrintStream out, Duration duration) {
        this.out = out;
        this.duration = duration;
    }

    /** Runs the scenario; returns whether it met its goal. */
    Result run() throws Exception {
        out.printf("%n== %s: %s (%d s)%n", NAME, GOAL, duration.toSeconds());
        int prompts = (int) (EXPECTED_PER_SECOND * (duration.toSeconds() + 30));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(29)
                        .latencyMs(LATENCY_MS).latencySigma(0).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", prompts,
                    i -> "{\"id\": \"t-" + i + "\", \"prompt\": \"Tag item " + i + " with one word.\", \"max_tokens\": 8}");
            out.printf("   produced %,d prompts%n", prompts);
            LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                    "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                    "models: {" + MODEL + ": {endpoint: mock}}",
                    "call: {capacity: " + CAPACITY + "}",
                    "job: {name: llmstream-bench-" + NAME + ", parallelism: 1}"));
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
            Result result = new Result(perSecond, last.maxInFlight(), last.rateLimited());
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    private static long answered(MockStats stats) {
        return stats.responsesByStatus().getOrDefault(200, 0L);
    }

    /** Completions per second over the steady part, and the most requests the mock had open at once. */
    record Result(double perSecond, long maxInFlight, long rateLimited) {
        boolean passed() {
            return perSecond >= 0.95 * EXPECTED_PER_SECOND;
        }

        String verdict() {
            return String.format("%s: %,.0f completions/s (%.1f%% of %,.0f), at most %d requests in flight at "
                    + "the mock", passed() ? "PASS" : "FAIL", perSecond, 100 * perSecond / EXPECTED_PER_SECOND,
                    EXPECTED_PER_SECOND, maxInFlight);
        }
    }
}
