package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
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
 * Issue 19's batch lane scenario: 8,000 records for the batch lane of a model whose online limit is 60 RPM
 * (online they would take 133 minutes), 20 online records beside them, batches that expire with half their lines
 * unanswered and an enqueued-token limit that binds (the provider's lower than the job's), on the job's default
 * checkpoint interval. Every record must end once, the online requests must be the online records' only, and
 * the lines submitted at most 1.5 times the records.
 */
final class BatchLaneBench {
    static final String NAME = "batch-lane";
    static final String GOAL = "8,000 batch-lane records at an online limit of 60 RPM, expiring batches, the "
            + "enqueued-token limit binding: every record once, online requests only for online records, lines "
            + "submitted <= 1.5 x records, done in minutes";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH_RECORDS = 8_000;
    private static final int ONLINE_RECORDS = 20;
    private static final long PROVIDER_ENQUEUED_TOKENS = 100_000;
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(15);

    /** What the run showed. */
    record Result(int records, int completed, int batchCompleted, int deadLetters, int duplicates, long onlineRequests,
            long onlineAttempts, MockStats.Batch batches, long rateLimited, double seconds, JobStatus jobStatus) {
        boolean passed() {
            return completed + deadLetters == records && duplicates == 0 && onlineRequests == onlineAttempts
                    && batches.linesSubmitted() <= BATCH_RECORDS * 3 / 2 && jobStatus == JobStatus.RUNNING;
        }

        String verdict() {
            return String.format("%s: %,d of %,d ended once (%,d batch-lane completions, %d dead letters, %d "
                    + "duplicates) in %.0f s; %d online requests for %d online attempts; %d batches (%s), %,d lines "
                    + "submitted (%.2f x the batch records), %d token_limit_exceeded refusals",
                    passed() ? "PASS" : "FAIL", completed + deadLetters, records, batchCompleted, deadLetters,
                    duplicates, seconds, onlineRequests, onlineAttempts, batches.batchesCreated(),
                    batches.batchesByStatus(), batches.linesSubmitted(),
                    batches.linesSubmitted() / (double) BATCH_RECORDS, batches.ended("failed"));
        }
    }

    private final PrintStream out;

    BatchLaneBench(PrintStream out) {
        this.out = out;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        int records = BATCH_RECORDS + ONLINE_RECORDS;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", records, i -> i < BATCH_RECORDS
                    ? JSON.createObjectNode().put("id", "b-" + i).put("lane", "batch")
                            .put("prompt", "Label the sentiment of review " + i).put("max_tokens", 16).toString()
                    : JSON.createObjectNode().put("id", "o-" + i).put("prompt", "Answer ticket " + i)
                            .put("max_tokens", 16).toString());
            out.printf("   produced %,d batch-lane and %d online records%n", BATCH_RECORDS, ONLINE_RECORDS);
            try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(19).latencyMs(100)
                    .rpm(60).batchInProgress(Duration.ofSeconds(40)).batchExpireShare(0.25)
                    .batchEnqueuedTokens(PROVIDER_ENQUEUED_TOKENS).build())) {
                LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                        "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                        "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                        "models: {m1: {endpoint: mock, rpm: 60, price: {input: 0.15, output: 0.60},",
                        "  batch-lane: {max-lines: 2000, max-wait: 5s, poll: 2s, enqueued-tokens: 130000}}}",
                        "job: {name: llmstream-bench-" + NAME + "}"));
                out.printf("   the model: %s%n", config.model("m1"));
                JobClient job = BenchRunner.submit(config, true);
                return await(kafka, mock, job, records);
            }
        }
    }

    private Result await(EmbeddedKafkaBroker kafka, MockLlmServer mock, JobClient job, int records) throws Exception {
        long started = System.nanoTime();
        Map<String, JsonNode> completions = new HashMap<>();
        int deadLetters = 0;
        int duplicates = 0;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions", "prompts-dlq"),
                false)) {
            long nextProgress = started;
            while (completions.size() + deadLetters < records && System.nanoTime() - started < GIVE_UP_AFTER.toNanos()
                    && job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(500))) {
                    if (record.topic().equals("prompts-dlq")) {
                        deadLetters++;
                        out.printf("   dead letter: %s%n", record.value());
                    } else if (completions.put(record.key(), JSON.readTree(record.value())) != null) {
                        duplicates++;
                    }
                }
                if (System.nanoTime() >= nextProgress) {
                    MockStats.Batch batches = mock.stats().batch();
                    out.printf("   [%5.0fs] %,5d/%,d ended; batches %d created %s, %,d lines submitted%n",
                            (System.nanoTime() - started) / 1e9, completions.size() + deadLetters, records,
                            batches.batchesCreated(), batches.batchesByStatus(), batches.linesSubmitted());
                    nextProgress += Duration.ofSeconds(15).toNanos();
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
            int batchCompleted = 0;
            long onlineAttempts = 0;
            for (JsonNode completion : completions.values()) {
                if (completion.path("lane").asText().equals("batch")) {
                    batchCompleted++;
                } else {
                    onlineAttempts += completion.path("attempts").asLong();
                }
            }
            long onlineRequests = mock.stats().byKeyModel().values().stream().mapToLong(MockStats.KeyModel::requests)
                    .sum();
            Result result = new Result(records, completions.size(), batchCompleted, deadLetters, duplicates,
                    onlineRequests, onlineAttempts, mock.stats().batch(), mock.stats().status(429), seconds, status);
            if (status == JobStatus.RUNNING) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }
}
