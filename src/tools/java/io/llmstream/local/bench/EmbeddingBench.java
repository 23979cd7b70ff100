package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 11's embeddings scenario: 5,000 texts for an embedding model the mock limits to 60 RPM, on the
 * default configuration ({@code batch.max-inputs: 256}). Every record must come out once with the vector
 * of its own text, in at most 40 requests to the provider.
 */
final class EmbeddingBench {
    static final String NAME = "embeddings";
    static final String GOAL = "5,000 texts, an embedding model at 60 RPM, max-inputs 256: every record once with "
            + "the vector of its own text, in <= 40 provider requests";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "text-embedding-3-small";
    private static final int TEXTS = 5_000;
    private static final int MAX_REQUESTS = 40;
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);

    /** What the run showed. */
    record Result(int texts, int completed, int ownVectors, int deadLetters, int duplicates, long requests,
            long rateLimited, double seconds, JobStatus jobStatus) {
        boolean passed() {
            return completed == texts && ownVectors == texts && deadLetters == 0 && duplicates == 0
                    && requests <= MAX_REQUESTS;
        }

        String verdict() {
            return String.format("%s: %,d of %,d with their own vector, %d dead letters, %d duplicates, in %d "
                    + "requests (%d answered 429) and %.1f s", passed() ? "PASS" : "FAIL", ownVectors, texts,
                    deadLetters, duplicates, requests, rateLimited, seconds);
        }
    }

    private final PrintStream out;

    EmbeddingBench(PrintStream out) {
        this.out = out;
    }

    private static String text(int i) {
        return "Customer review " + i + ": the product arrived on day " + (i % 30 + 1) + " and works as described.";
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", TEXTS,
                    i -> JSON.createObjectNode().put("id", "t-" + i).put("input", text(i)).toString());
            out.printf("   produced %,d texts%n", TEXTS);
            try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(31).latencyMs(200)
                    .rpm(60).tpm(10_000_000).build())) {
                LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                        "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                        "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                        "models: {" + MODEL + ": {endpoint: mock, kind: embedding, rpm: 60}}",
                        "job: {name: llmstream-bench-" + NAME + ", parallelism: 1}"));
                out.printf("   the model: %s%n", config.model(MODEL));
                JobClient job = BenchRunner.submit(config, true);
                long started = System.nanoTime();
                Map<String, JsonNode> completions = new HashMap<>();
                int deadLetters = 0;
                int duplicates = 0;
                try (TopicReader reader = new TopicReader(kafka.bootstrapServers(),
                        List.of("completions", "prompts-dlq"), false)) {
                    long nextProgress = started;
                    while (completions.size() + deadLetters < TEXTS
                            && System.nanoTime() - started < GIVE_UP_AFTER.toNanos()
                            && job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                        for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                            if (record.topic().equals("prompts-dlq")) {
                                deadLetters++;
                                out.printf("   dead letter: %s%n", record.value());
                            } else if (completions.put(record.key(), JSON.readTree(record.value())) != null) {
                                duplicates++;
                            }
                        }
                        if (System.nanoTime() >= nextProgress) {
                            out.printf("   [%5.1fs] %,5d/%,d embedded, mock: %d requests%n",
                                    (System.nanoTime() - started) / 1e9, completions.size(), TEXTS, requests(mock));
                            nextProgress += Duration.ofSeconds(5).toNanos();
                        }
                    }
                    double seconds = (System.nanoTime() - started) / 1e9;
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(3))) {
                        if (record.topic().equals("prompts-dlq")) {
                            deadLetters++;
                        } else if (completions.put(record.key(), JSON.readTree(record.value())) != null) {
                            duplicates++;
                        }
                    }
                    JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
                    if (status == JobStatus.RUNNING) {
                        job.cancel().get(30, TimeUnit.SECONDS);
                    }
                    Result result = new Result(TEXTS, completions.size(), ownVectors(completions), deadLetters,
                            duplicates, requests(mock), mock.stats().status(429), seconds, status);
                    out.printf("   %s%n", result.verdict());
                    return result;
                }
            }
        }
    }

    /** How many completions hold exactly the mock's vector of their own record's text. */
    private static int ownVectors(Map<String, JsonNode> completions) {
        int own = 0;
        for (int i = 0; i < TEXTS; i++) {
            JsonNode completion = completions.get("t-" + i);
            if (completion == null) {
                continue;
            }
            JsonNode vector = completion.path("embedding");
            float[] expected = MockAnswers.embeddingFor(text(i), MockOptions.DEFAULT_EMBEDDING_DIMS);
            boolean same = vector.size() == expected.length;
            for (int d = 0; same && d < expected.length; d++) {
                same = Math.abs((float) vector.get(d).asDouble() - expected[d]) < 1e-6f;
            }
            own += same ? 1 : 0;
        }
        return own;
    }

    private static long requests(MockLlmServer mock) {
        return mock.stats().byKeyModel().values().stream().filter(k -> k.model().equals(MODEL))
                .mapToLong(MockStats.KeyModel::requests).sum();
    }
}
