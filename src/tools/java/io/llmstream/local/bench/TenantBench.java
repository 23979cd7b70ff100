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
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 20's tenants scenario, through Kafka at 600 RPM on the job's defaults. Shares: 2,400 prompts of team-a
 * ahead of 300 each of team-b (weight 1) and team-c (weight 2) in the same partitions; while all three wait b
 * must get 25 % ± 5 and c 50 % ± 5 of the completions, and the model's limit must be used (≥ 98 %, no 429).
 * Spend: 300 prompts of team-d, capped at 2 cents a day, on two parallel instances: what its completions cost
 * must not pass the cap and must come within one request (the most a request may cost) of it.
 */
final class TenantBench {
    static final String NAME = "tenants";
    static final String GOAL = "600 RPM: 2,400 a ahead of 300 b (weight 1) and 300 c (weight 2) -> b 25% ± 5 and "
            + "c 50% ± 5 while all wait, >= 98% of RPM, 0 429s; d capped at $0.02/day on 2 instances -> spends "
            + "<= cap and within one request of it";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RPM = 600;
    private static final int A = 2_400;
    private static final int B = 300;
    private static final int C = 300;
    private static final int D = 300;
    private static final double CAP = 0.02;
    /** gpt-4o's list price, US dollars per million tokens. */
    private static final double INPUT = 2.50;
    private static final double OUTPUT = 10.00;
    private static final int MAX_TOKENS = 64;

    /** What the run showed. */
    record Result(double shareB, double shareC, double rpmUsed, long rateLimited, int sharesEnded, double spent,
            double largestReservation, int spendCompleted, int spendLimited, JobStatus status) {
        boolean passed() {
            return Math.abs(shareB - 0.25) <= 0.05 && Math.abs(shareC - 0.50) <= 0.05 && rpmUsed >= 0.98 * RPM
                    && rateLimited == 0 && sharesEnded == A + B + C && spent <= CAP
                    && CAP - spent < largestReservation && spendCompleted + spendLimited == D;
        }

        String verdict() {
            return String.format("%s: while all three waited b %.1f%%, c %.1f%%; %,d of %,d ended at %.0f RPM (%.1f%% "
                    + "of %d), %d 429s; d spent $%.5f of $%.2f (%.1f%%; one request may cost $%.5f) in %d completions, "
                    + "%d spend_limit dead letters", passed() ? "PASS" : "FAIL", shareB * 100, shareC * 100,
                    sharesEnded, A + B + C, rpmUsed, rpmUsed * 100 / RPM, RPM, rateLimited, spent, CAP,
                    spent * 100 / CAP, largestReservation, spendCompleted, spendLimited);
        }
    }

    private final PrintStream out;

    TenantBench(PrintStream out) {
        this.out = out;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(20).latencyMs(100)
                        .rpm(RPM).build())) {
            for (String topic : List.of("prompts", "spend-prompts", "completions", "spend-completions", "prompts-dlq",
                    "spend-dlq", "llmstream-metrics", "llmstream-usage")) {
                kafka.createTopic(topic, topic.endsWith("prompts") ? 2 : 1);
            }
            List<String> values = new ArrayList<>();
            for (int i = 0; i < A; i++) {
                values.add(prompt("a-" + i, "team-a", "Backfill record " + i));
            }
            for (int i = 0; i < B; i++) {
                values.add(prompt("b-" + i, "team-b", "Triage ticket " + i));
                values.add(prompt("c-" + i, "team-c", "Classify order " + i));
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
            out.printf("   produced %,d prompts of team-a ahead of %d of team-b and %d of team-c%n", A, B, C);
            JobClient shares = submit(kafka, mock, "prompts", "completions", "prompts-dlq", 1);
            List<String> order = new ArrayList<>();
            long[] span = readInOrder(kafka, "completions", A + B + C, Duration.ofMinutes(8), order);
            JobStatus status = shares.getJobStatus().get(10, TimeUnit.SECONDS);
            shares.cancel().get(30, TimeUnit.SECONDS);
            long rateLimited = mock.stats().status(429);
            // While all three wait: from the 100th completion (the stage had read little beyond a's backlog
            // before) until c, which takes half, can have run out.
            Map<Character, Integer> counted = new HashMap<>();
            for (String id : order.subList(100, Math.min(order.size(), 500))) {
                counted.merge(id.charAt(0), 1, Integer::sum);
            }
            double window = Math.max(1, Math.min(order.size(), 500) - 100);
            double minutes = (span[1] - span[0]) / 60e9;
            double rpmUsed = order.size() > 1 ? (order.size() - 1) / minutes : 0;

            TopicWriter.write(kafka.bootstrapServers(), "spend-prompts", D,
                    i -> prompt("d-" + i, "team-d", "Summarise the contract clause " + i));
            out.printf("   produced %d prompts of team-d, capped at $%.2f a day%n", D, CAP);
            JobClient spend = submit(kafka, mock, "spend-prompts", "spend-completions", "spend-dlq", 2);
            double[] spent = new double[2];
            int[] ended = spendOutcome(kafka, spent);
            status = status == JobStatus.RUNNING ? spend.getJobStatus().get(10, TimeUnit.SECONDS) : status;
            spend.cancel().get(30, TimeUnit.SECONDS);
            Result result = new Result(counted.getOrDefault('b', 0) / window, counted.getOrDefault('c', 0) / window,
                    rpmUsed, rateLimited, order.size(), spent[0], spent[1], ended[0], ended[1], status);
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    private static String prompt(String id, String tenant, String text) {
        return JSON.createObjectNode().put("id", id).put("tenant", tenant).put("prompt", text)
                .put("max_tokens", MAX_TOKENS).toString();
    }

    private JobClient submit(EmbeddedKafkaBroker kafka, MockLlmServer mock, String input, String output,
            String deadLetters, int parallelism) throws Exception {
        LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest,",
                "  topics: {input: " + input + ", output: " + output + ", dead-letter: " + deadLetters
                        + ", usage: llmstream-usage}}",
                "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                "models: {m1: {endpoint: mock, rpm: " + RPM + ", price: {input: " + INPUT + ", output: " + OUTPUT
                        + "}}}",
                "tenants: {team-a: {weight: 1}, team-b: {weight: 1}, team-c: {weight: 2},",
                "  team-d: {weight: 1, spend-per-day: " + CAP + "}}",
                "job: {name: llmstream-bench-" + NAME + "-" + input + ", parallelism: " + parallelism + "}"));
        return BenchRunner.submit(config, true);
    }

    /** Reads the topic's keys in the order written until {@code expected}; returns the first and last times. */
    private long[] readInOrder(EmbeddedKafkaBroker kafka, String topic, int expected, Duration giveUpAfter,
            List<String> order) throws Exception {
        long started = System.nanoTime();
        long first = 0;
        long last = 0;
        long nextProgress = started;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of(topic), false)) {
            while (order.size() < expected && System.nanoTime() - started < giveUpAfter.toNanos()) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(500))) {
                    long now = System.nanoTime();
                    first = first == 0 ? now : first;
                    last = now;
                    order.add(record.key());
                }
                if (System.nanoTime() >= nextProgress) {
                    out.printf("   [%4.0fs] %,d/%,d completions%n", (System.nanoTime() - started) / 1e9,
                            order.size(), expected);
                    nextProgress += Duration.ofSeconds(30).toNanos();
                }
            }
        }
        return new long[] {first, last};
    }

    /** Reads d's completions and dead letters; {@code spent} gets the completions' cost and the largest reservation. */
    private int[] spendOutcome(EmbeddedKafkaBroker kafka, double[] spent) throws Exception {
        int completed = 0;
        int limited = 0;
        long started = System.nanoTime();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("spend-completions", "spend-dlq"),
                false)) {
            while (completed + limited < D && System.nanoTime() - started < Duration.ofMinutes(3).toNanos()) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(500))) {
                    JsonNode value = JSON.readTree(record.value());
                    if (record.topic().equals("spend-dlq")) {
                        limited++;
                        if (limited == 1) {
                            out.printf("   first dead letter of team-d: %s%n", value.path("error"));
                        }
                        continue;
                    }
                    completed++;
                    JsonNode usage = value.path("usage");
                    spent[0] += (usage.path("prompt_tokens").asLong() * INPUT
                            + usage.path("completion_tokens").asLong() * OUTPUT) / 1e6;
                    spent[1] = Math.max(spent[1], (usage.path("prompt_tokens").asLong() * INPUT
                            + MAX_TOKENS * OUTPUT) / 1e6);
                }
            }
        }
        return new int[] {completed, limited};
    }
}
