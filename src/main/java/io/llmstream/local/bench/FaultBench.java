package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.Dispatchers;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 4's fault scenario: 10,000 prompts against a mock that answers 5% of requests with 5xx, resets
 * 1% of connections, never answers 1%, garbles 1% of bodies, and is down for 10 seconds in the middle
 * of the run. The job runs with restart-strategy none, so a single failure would end it: it must still
 * be running at the end, with every prompt accounted for.
 */
final class FaultBench {
    static final String NAME = "faults";
    static final String GOAL = "10,000 prompts, 5% 5xx, 1% resets, 1% hangs, 1% malformed, a 10 s outage: "
            + "nothing lost, no restart, >= 99% succeed, <= 1.2 attempts per request outside the outage";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "gpt-4o-mini";
    private static final int PROMPTS = 10_000;
    /** The provider's real limit: the 10,000 prompts take about 100 s, so the outage falls mid-run. */
    private static final int RPM = 6_000;
    private static final Duration OUTAGE_START = Duration.ofSeconds(30);
    private static final Duration OUTAGE_LENGTH = Duration.ofSeconds(10);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(6);

    private final PrintStream out;

    FaultBench(PrintStream out) {
        this.out = out;
    }

    FaultResult run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"f-" + i + "\", \"prompt\": \"Classify ticket " + i + " by urgency.\", "
                            + "\"max_tokens\": 16}");
            out.printf("   produced %,d prompts%n", PROMPTS);
            long mockStartedMillis = System.currentTimeMillis();
            try (MockLlmServer mock = MockLlmServer.start(mockOptions())) {
                FaultResult.Builder result = new FaultResult.Builder(PROMPTS,
                        mockStartedMillis + OUTAGE_START.toMillis(),
                        mockStartedMillis + OUTAGE_START.plus(OUTAGE_LENGTH).toMillis());
                LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(config(kafka.bootstrapServers(),
                        mock.baseUrl()));
                JobClient job = BenchRunner.submit(config, true);
                long started = System.nanoTime();
                try (TopicReader reader = new TopicReader(kafka.bootstrapServers(),
                        List.of("completions", "prompts-dlq"), false);
                        Dispatchers.Lease dispatchers = Dispatchers.acquire(job.getJobID(), config)) {
                    long nextProgress = started;
                    while (result.accounted() < PROMPTS && System.nanoTime() - started < GIVE_UP_AFTER.toNanos()
                            && job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                        for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                            add(result, record);
                        }
                        if (System.nanoTime() >= nextProgress) {
                            out.printf("   [%5.1fs] %,6d/%,d accounted, mock: %,d requests, %,d in the outage%n",
                                    (System.nanoTime() - started) / 1e9, result.accounted(), PROMPTS,
                                    mock.stats().requests(), mock.stats().outageRefusals());
                            nextProgress += Duration.ofSeconds(10).toNanos();
                        }
                    }
                    // Anything written twice would show up in the next seconds.
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(3))) {
                        add(result, record);
                    }
                    ModelDispatcher dispatcher = dispatchers.forModel(MODEL);
                    result.breaker(dispatcher.circuitOpenMillis(), dispatcher.circuitOpenings());
                }
                result.seconds((System.nanoTime() - started) / 1e9);
                JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
                result.jobStatus(status);
                if (status == JobStatus.RUNNING) {
                    job.cancel().get(30, TimeUnit.SECONDS);
                }
                result.mock(mock.stats());
                FaultResult done = result.build();
                done.print(out);
                return done;
            }
        }
    }

    private static void add(FaultResult.Builder result, ConsumerRecord<String, String> record) {
        try {
            JsonNode value = JSON.readTree(record.value());
            long arrived = System.currentTimeMillis();
            if (record.topic().equals("completions")) {
                result.completion(record.key(), value.path("attempts").asInt(), value.path("latency_ms").asLong(),
                        value.path("wait_ms").asLong(), arrived);
            } else {
                result.deadLetter(record.key(), value.path("error").path("kind").asText(),
                        value.path("attempts").asInt(), value.path("elapsed_ms").asLong(), arrived);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MockOptions mockOptions() {
        return MockOptions.builder().port(0).seed(17).latencyMs(80).latencySigma(0.3)
                .errorRate(0.05).resetRate(0.01).hangRate(0.01).malformedRate(0.01)
                .outageStart(OUTAGE_START).outageDuration(OUTAGE_LENGTH)
                .rpm(RPM)
                .build();
    }

    /**
     * The job as a data engineer would run it against a flaky provider: results unordered (a hung
     * request must not hold back the ones behind it), a 5 s attempt timeout, and the breaker holding
     * requests back while the provider is down.
     */
    private static String config(String bootstrapServers, String mockUrl) {
        return String.join("\n",
                "kafka: {bootstrap-servers: '" + bootstrapServers + "', starting-offsets: earliest}",
                "endpoints: {mock: {base-url: '" + mockUrl + "', api-keys: [fault-key]}}",
                "models: {" + MODEL + ": {endpoint: mock, rpm: " + RPM + ", tpm: 10000000}}",
                "call: {ordered: false, capacity: 200, attempt-timeout: 5s, timeout: 120s,",
                "       retry: {max-attempts: 6, initial-backoff: 200ms, max-backoff: 5s},",
                "       breaker: {when-open: wait}}",
                "job: {name: llmstream-bench-faults, parallelism: 1}");
    }
}
