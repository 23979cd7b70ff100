package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.local.Ports;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockStats;
import io.llmstream.watch.JobWatcher;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one scenario: an embedded broker, the mock with the scenario's real limits, and the job on an
 * embedded Flink, saturated by a backlog for the scenario's duration; the mock's own counters are the
 * ground truth of what reached the "provider" and when.
 */
final class BenchRunner {
    /** The first seconds (burst, JIT, connections) are left out of the steady part. */
    static final Duration WARM_UP = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;

    BenchRunner(PrintStream out) {
        this.out = out;
    }

    BenchResult run(BenchScenario scenario) throws Exception {
        out.printf("%n== %s: %s (%d s)%n", scenario.name(), scenario.goal(), scenario.duration().toSeconds());
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(scenario.mockOptions())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            long producing = System.nanoTime();
            TopicWriter.write(kafka.bootstrapServers(), "prompts", scenario.prompts(), scenario.prompt());
            out.printf("   produced %,d prompts in %.1f s%n", scenario.prompts(), (System.nanoTime() - producing) / 1e9);

            Configuration flinkSettings = new Configuration();
            URI rest = JobWatcher.restOnLoopback(flinkSettings, Ports.freePort());
            JobClient job = submit(new ConfigLoader(name -> null).loadYaml(
                    config(scenario, kafka.bootstrapServers(), mock.baseUrl())), flinkSettings);
            List<BenchResult.Sample> samples = new ArrayList<>();
            List<Long> heapMb = new ArrayList<>();
            long started = System.nanoTime();
            long end = started + scenario.duration().toNanos();
            long nextHeap = started + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(1000);
                samples.add(new BenchResult.Sample((System.nanoTime() - started) / 1e9, mock.stats()));
                if (scenario.heapSamples() && System.nanoTime() >= nextHeap) {
                    heapMb.add(usedHeapMbAfterGc());
                    out.printf("   %4.0f s: heap %d MB after GC, %,d requests admitted%n",
                            (System.nanoTime() - started) / 1e9, heapMb.get(heapMb.size() - 1), admitted(mock.stats()));
                    nextHeap += Duration.ofSeconds(30).toNanos();
                }
            }
            CheckpointStats checkpoints = CheckpointStats.of(rest, job.getJobID());
            job.cancel().get(30, TimeUnit.SECONDS);
            BenchResult result = new BenchResult(scenario, samples, completions(kafka.bootstrapServers()), heapMb,
                    checkpoints);
            result.print(out);
            return result;
        }
    }

    private static long admitted(MockStats stats) {
        return stats.byKeyModel().values().stream().mapToLong(MockStats.KeyModel::admitted).sum();
    }

    private static String config(BenchScenario scenario, String bootstrapServers, String mockUrl) {
        return String.join("\n",
                "kafka: {bootstrap-servers: '" + bootstrapServers + "', starting-offsets: earliest}",
                "endpoints: {mock: {base-url: '" + mockUrl + "', api-keys: " + scenario.keysYaml() + "}}",
                "models: {" + scenario.model() + ": {endpoint: mock, " + scenario.modelYaml() + "}}",
                "job: {name: llmstream-bench-" + scenario.name() + ", " + scenario.jobYaml() + "}");
    }

    /**
     * Starts the job on an embedded Flink.
     *
     * @param failOnError with restart-strategy none, so a run that would have restarted ends FAILED instead
     */
    static JobClient submit(LlmStreamConfig config, boolean failOnError) throws Exception {
        Configuration settings = new Configuration();
        if (failOnError) {
            settings.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        return submit(config, settings);
    }

    /** Starts the job on an embedded Flink with these Flink settings. */
    static JobClient submit(LlmStreamConfig config, Configuration settings) throws Exception {
        return KafkaJob.environment(config, settings).executeAsync(config.job().name());
    }

    /** Every completion the run wrote: latency, budget wait and priority. */
    private static List<BenchResult.Completed> completions(String bootstrapServers) throws Exception {
        List<BenchResult.Completed> completed = new ArrayList<>();
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("completions"), false)) {
            while (true) {
                List<ConsumerRecord<String, String>> records = reader.poll(Duration.ofSeconds(2));
                if (records.isEmpty()) {
                    return completed;
                }
                for (ConsumerRecord<String, String> record : records) {
                    JsonNode value = JSON.readTree(record.value());
                    completed.add(new BenchResult.Completed(value.path("latency_ms").asLong(),
                            value.path("wait_ms").asLong(), value.path("metadata").path("priority").asInt()));
                }
            }
        }
    }

    private static long usedHeapMbAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
    }
}
