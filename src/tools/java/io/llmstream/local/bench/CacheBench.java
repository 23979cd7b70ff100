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
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Issue 11's cache scenario: 2,000 prompts made of 200 distinct texts, each ten times under its own id in
 * shuffled order, for a model limited to 600 RPM with {@code cache: {ttl: 10m}}. Every prompt must be
 * answered with its own text's answer (the mock's answers are functions of the text), the mock must see at
 * most 210 requests, and the run time is reported: without the cache, 2,000 requests at 600 RPM take 200 s.
 */
final class CacheBench {
    static final String NAME = "cache";
    static final String GOAL = "2,000 prompts, 200 distinct texts x 10 shuffled, 600 RPM, cache ttl 10m: every "
            + "prompt its own answer, <= 210 provider requests, run time";
    private static final int DISTINCT = 200;
    private static final int COPIES = 10;
    private static final int PROMPTS = DISTINCT * COPIES;
    private static final int MAX_REQUESTS = 210;
    private static final int RPM = 600;
    private static final String MODEL = "gpt-4o-mini";
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;

    CacheBench(PrintStream out) {
        this.out = out;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(2026));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(31).latencyMs(80)
                        .latencySigma(0.3).apiKeys(List.of("bench-key")).limit("bench-key", MODEL, RPM, 10_000_000)
                        .build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS, i -> prompt(order.get(i)));
            out.printf("   produced %,d prompts (%d distinct texts)%n", PROMPTS, DISTINCT);
            LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                    "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest}",
                    "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                    "models: {" + MODEL + ": {endpoint: mock, rpm: " + RPM + ", tpm: 10000000, cache: {ttl: 10m}}}",
                    "job: {name: llmstream-bench-cache}"));
            long started = System.nanoTime();
            JobClient job = BenchRunner.submit(config, true);
            Map<String, JsonNode> answers = new HashMap<>();
            int deadLetters = 0;
            int duplicates = 0;
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions", "prompts-dlq"),
                    false)) {
                long nextProgress = started;
                while (answers.size() + deadLetters < PROMPTS && System.nanoTime() - started < GIVE_UP_AFTER.toNanos()) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                        if (record.topic().equals("prompts-dlq")) {
                            deadLetters++;
                        } else if (answers.put(record.key(), JSON.readTree(record.value())) != null) {
                            duplicates++;
                        }
                    }
                    if (System.nanoTime() >= nextProgress) {
                        out.printf("   [%5.1fs] %,5d/%,d answered, mock: %,d requests%n",
                                (System.nanoTime() - started) / 1e9, answers.size(), PROMPTS, mock.stats().requests());
                        nextProgress += Duration.ofSeconds(5).toNanos();
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            MockStats stats = mock.stats();
            job.cancel().get(30, TimeUnit.SECONDS);
            int wrong = 0;
            int cached = 0;
            for (int i = 0; i < PROMPTS; i++) {
                JsonNode answer = answers.get("c-" + i);
                if (answer == null || !answer.path("content").asText().equals(MockAnswers.contentFor(text(i)))) {
                    wrong++;
                } else if (answer.path("cached").asBoolean(false)) {
                    cached++;
                }
            }
            Result result = new Result(answers.size(), deadLetters, duplicates, wrong, cached, stats.requests(),
                    stats.rateLimited(), seconds);
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    private static String text(int i) {
        return "Write a one-line product description for catalogue item " + (i % DISTINCT) + ".";
    }

    private static String prompt(int i) {
        ObjectNode json = JSON.createObjectNode().put("id", "c-" + i).put("prompt", text(i)).put("max_tokens", 32);
        json.putObject("metadata").put("n", i);
        return json.toString();
    }

    /** What the run wrote and what the mock saw. */
    record Result(int answered, int deadLetters, int duplicates, int wrongAnswers, int cached, long providerRequests,
            long rateLimited, double seconds) {
        boolean passed() {
            return answered == PROMPTS && deadLetters == 0 && duplicates == 0 && wrongAnswers == 0
                    && providerRequests <= MAX_REQUESTS;
        }

        String verdict() {
            return String.format("%s: %,d of %,d answered (%,d from the cache), %d wrong or missing, %d dead letters, "
                    + "%d duplicates; %d provider requests (<= %d), %d 429s; %.1f s from submission to the last answer",
                    passed() ? "PASS" : "FAIL", answered, PROMPTS, cached, wrongAnswers, deadLetters, duplicates,
                    providerRequests, MAX_REQUESTS, rateLimited, seconds);
        }
    }
}
