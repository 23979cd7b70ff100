package io.llmstream.local.bench;

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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 20's backlog of millions, through Kafka at 6,000 RPM on the job's defaults: team-a's backfill of a million
 * prompts is being answered when team-b's 300 prompts arrive behind it in the same partitions. b must be answered
 * within seconds, not after the backfill (2 h 47 min of it), at its share (weights 1:1: 50 % ± 5 while both
 * wait), and the model's limit must stay used (≥ 98 %, no 429).
 */
final class BacklogBench {
    static final String NAME = "tenant-backlog";
    static final String GOAL = "6,000 RPM: 300 b arrive behind 1,000,000 a in the same partitions -> b's first "
            + "answer within 10 s, b 50% ± 5 while both wait, >= 98% of RPM, 0 429s";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RPM = 6_000;
    private static final int A = 1_000_000;
    private static final int B = 300;
    /** Completions of a before b arrives: the job is well into the backfill. */
    private static final int BEFORE_B = 1_500;

    /** What the run showed. */
    record Result(double firstOfBSeconds, double shareB, double rpmUsed, long rateLimited, int ofB, JobStatus status) {
        boolean passed() {
            return firstOfBSeconds <= 10 && Math.abs(shareB - 0.5) <= 0.05 && rpmUsed >= 0.98 * RPM
                    && rateLimited == 0 && ofB == B && status == JobStatus.RUNNING;
        }

        String verdict() {
            return String.format("%s: b's first answer %.1f s after b arrived behind %,d of a; b %.1f%% while both "
                    + "waited; %d of %d b answered; %.0f RPM (%.1f%% of %,d), %d 429s", passed() ? "PASS" : "FAIL",
                    firstOfBSeconds, A, shareB * 100, ofB, B, rpmUsed, rpmUsed * 100 / RPM, RPM, rateLimited);
        }
    }

    private final PrintStream out;

    BacklogBench(PrintStream out) {
        this.out = out;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).seed(23).latencyMs(100)
                        .rpm(RPM).build())) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            long writing = System.nanoTime();
            TopicWriter.write(kafka.bootstrapServers(), "prompts", A,
                    i -> prompt("a-" + i, "team-a", "Backfill record " + i));
            out.printf("   produced %,d prompts of team-a in %.1f s%n", A, (System.nanoTime() - writing) / 1e9);
            JobClient job = BenchRunner.submit(config(kafka, mock), true);
            List<String> order = new ArrayList<>();
            List<Long> times = new ArrayList<>();
            long bArrived = 0;
            int ofB = 0;
            JobStatus status;
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions"), false)) {
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (ofB < B && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                        order.add(record.key());
                        times.add(System.nanoTime());
                        ofB += record.key().startsWith("b-") ? 1 : 0;
                    }
                    if (bArrived == 0 && order.size() >= BEFORE_B) {
                        TopicWriter.write(kafka.bootstrapServers(), "prompts", B,
                                i -> prompt("b-" + i, "team-b", "Triage ticket " + i));
                        bArrived = System.nanoTime();
                        out.printf("   %,d of a answered; produced %d prompts of team-b behind the rest of a%n",
                                order.size(), B);
                    }
                }
            } finally {
                status = job.getJobStatus().get(10, TimeUnit.SECONDS);
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            Result result = result(order, times, bArrived, ofB, mock.stats().status(429), status);
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    private static Result result(List<String> order, List<Long> times, long bArrived, int ofB, long rateLimited,
            JobStatus status) {
        int firstOfB = -1;
        int lastOfB = -1;
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).startsWith("b-")) {
                firstOfB = firstOfB < 0 ? i : firstOfB;
                lastOfB = i;
            }
        }
        if (firstOfB < 0) {
            return new Result(Double.POSITIVE_INFINITY, 0, 0, rateLimited, 0, status);
        }
        double share = (double) ofB / (lastOfB - firstOfB + 1);
        // The rate over everything after the first hundred answers (the job's first seconds warm it up).
        int from = Math.min(100, order.size() - 1);
        double minutes = (times.get(times.size() - 1) - times.get(from)) / 60e9;
        double rpm = minutes > 0 ? (times.size() - 1 - from) / minutes : 0;
        return new Result((times.get(firstOfB) - bArrived) / 1e9, share, rpm, rateLimited, ofB, status);
    }

    private static String prompt(String id, String tenant, String text) {
        return JSON.createObjectNode().put("id", id).put("tenant", tenant).put("prompt", text).toString();
    }

    private static LlmStreamConfig config(EmbeddedKafkaBroker kafka, MockLlmServer mock) {
        return new ConfigLoader(name -> null).loadYaml(String.join("\n",
                "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', starting-offsets: earliest,",
                "  topics: {input: prompts, output: completions, dead-letter: prompts-dlq}}",
                "endpoints: {mock: {base-url: '" + mock.baseUrl() + "', api-keys: [bench-key]}}",
                "models: {m1: {endpoint: mock, rpm: " + RPM + "}}",
                "tenants: {team-a: {weight: 1}, team-b: {weight: 1}}",
                "job: {name: llmstream-bench-" + NAME + "}"));
    }
}
