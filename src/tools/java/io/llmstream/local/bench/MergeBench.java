package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Issue 11's merged prompts: 3,000 short prompts against a model limited to 600 RPM, the mock leaving one
 * answer out of 5% of merged replies; once with {@code merge: {max-prompts: 16}} and once without merging,
 * on default settings otherwise. Both runs must answer every prompt exactly once with its own answer; the
 * merged run in at most 300 provider requests.
 */
final class MergeBench {
    static final String NAME = "merge";
    static final String GOAL = "3,000 short prompts at 600 RPM, max-prompts 16, 5% of merged replies missing an "
            + "answer: every prompt its own answer, <= 300 provider requests; run time against no merging";
    private static final int PROMPTS = 3_000;
    private static final int MAX_TOKENS = 16;
    private static final int MAX_REQUESTS = 300;
    private static final String MODEL = "gpt-4o-mini";
    private static final String KEY = "bench-key";
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one run measured. */
    record Run(boolean merging, int answered, int ownAnswers, int mergedAnswers, int deadLetters, int duplicates,
            long providerRequests, double seconds) {

        boolean passed() {
            return answered == PROMPTS && ownAnswers == PROMPTS && deadLetters == 0 && duplicates == 0
                    && (!merging || providerRequests <= MAX_REQUESTS);
        }

        String line() {
            return String.format("%-10s %,d/%,d answered, %,d with their own answer, %,d from merged replies, "
                            + "%d dead letters, %d duplicates, %,d provider requests, %.1f s",
                    merging ? "merged" : "unmerged", answered, PROMPTS, ownAnswers, mergedAnswers, deadLetters,
                    duplicates, providerRequests, seconds);
        }
    }

    /** Both runs. */
    record Result(Run merged, Run unmerged) {
        boolean passed() {
            return merged.passed() && unmerged.passed();
        }

        String verdict() {
            return String.format("%s: merged %,d requests in %.1f s, unmerged %,d requests in %.1f s (%.1fx faster)",
                    passed() ? "PASS" : "FAIL", merged.providerRequests, merged.seconds, unmerged.providerRequests,
                    unmerged.seconds, unmerged.seconds / Math.max(0.001, merged.seconds));
        }
    }

    private final PrintStream out;

    MergeBench(PrintStream out) {
        this.out = out;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        Run merged = run(true);
        Run unmerged = run(false);
        Result result = new Result(merged, unmerged);
        out.printf("   %s%n   %s%n   %s%n", merged.line(), unmerged.line(), result.verdict());
        return result;
    }

    private static String text(int i) {
        return "Name a colour, item " + i + ".";
    }

    private Run run(boolean merging) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(11).latencyMs(80)
                        .latencySigma(0.3).apiKeys(List.of(KEY)).limit(KEY, MODEL, 600, 10_000_000)
                        .mergeDropRate(0.05).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS, i -> {
                ObjectNode json = JSON.createObjectNode().put("id", "m-" + i).put("prompt", text(i))
                        .put("max_tokens", MAX_TOKENS);
                json.putObject("metadata").put("i", i);
                return json.toString();
            });
            LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                    "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [" + KEY + "]}}",
                    "models: {" + MODEL + ": {endpoint: mock, rpm: 600" + (merging ? ", merge: {max-prompts: 16}" : "")
                            + "}}",
                    "job: {name: llmstream-bench-" + NAME + (merging ? "" : "-off") + "}"));
            JobClient job = BenchRunner.submit(config, true);
            long started = System.nanoTime();
            Set<String> answered = new HashSet<>();
            Set<String> deadLettered = new HashSet<>();
            int own = 0;
            int fromMerged = 0;
            int duplicates = 0;
            double seconds;
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions", "prompts-dlq"),
                    false)) {
                long nextProgress = started + Duration.ofSeconds(10).toNanos();
                while (answered.size() + deadLettered.size() < PROMPTS
                        && System.nanoTime() - started < GIVE_UP_AFTER.toNanos()
                        && job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                        JsonNode value = read(record.value());
                        if (record.topic().equals("prompts-dlq")) {
                            duplicates += deadLettered.add(record.key()) ? 0 : 1;
                            continue;
                        }
                        duplicates += answered.add(record.key()) ? 0 : 1;
                        int i = value.path("metadata").path("i").asInt();
                        if (record.key().equals("m-" + i) && value.path("content").asText()
                                .equals(MockAnswers.contentFor(text(i), MAX_TOKENS))) {
                            own++;
                        }
                        fromMerged += value.has("merged") ? 1 : 0;
                    }
                    if (System.nanoTime() >= nextProgress) {
                        out.printf("   [%5.1fs] %s: %,d/%,d answered, mock: %,d requests%n",
                                (System.nanoTime() - started) / 1e9, merging ? "merged" : "unmerged",
                                answered.size(), PROMPTS, mock.stats().requests());
                        nextProgress += Duration.ofSeconds(30).toNanos();
                    }
                }
                seconds = (System.nanoTime() - started) / 1e9;
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(3))) {
                    duplicates += (record.topic().equals("completions") ? answered : deadLettered).add(record.key())
                            ? 0 : 1;
                }
            }
            if (job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            MockStats stats = mock.stats();
            return new Run(merging, answered.size(), own, fromMerged, deadLettered.size(), duplicates,
                    stats.requests(), seconds);
        }
    }

    private static JsonNode read(String value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
