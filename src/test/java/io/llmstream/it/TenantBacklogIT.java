package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's backlog far beyond the call stage's read-ahead, through Kafka: the stage reads on past it, leaving
 * what it has no room for in Kafka to read again, so another tenant's prompts behind the backlog are served at
 * their share at once — and every prompt is answered exactly once, across a lost TaskManager too.
 */
class TenantBacklogIT {
    private static final String TENANTS = "tenants: {team-a: {weight: 1}, team-b: {weight: 1}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void aTenantBehindALongBacklogIsServedAtItsShareAtOnce() throws Exception {
        int backlog = 20_000;
        int behind = 200;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(31).build())) {
            writePrompts(kafka, 1, backlog, behind);
            // 100 prompts a second: the backlog alone is 200 s of work; b is 4 s of it at half the model.
            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 6000}}", TENANTS, "job: {bounded: false}");
            List<String> tenantsInOrder = new ArrayList<>();
            long firstMillis = 0;
            long lastOfBMillis = 0;
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions"), false)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                int ofB = 0;
                while (ofB < behind && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                        String tenant = JSON.readTree(record.value()).path("tenant").asText();
                        tenantsInOrder.add(tenant);
                        firstMillis = firstMillis == 0 ? System.currentTimeMillis() : firstMillis;
                        if (tenant.equals("team-b")) {
                            ofB++;
                            lastOfBMillis = System.currentTimeMillis();
                        }
                    }
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            int firstOfB = tenantsInOrder.indexOf("team-b");
            int lastOfB = tenantsInOrder.lastIndexOf("team-b");
            long bWhileBothWaited = tenantsInOrder.subList(firstOfB, lastOfB + 1).stream()
                    .filter("team-b"::equals).count();
            System.out.printf("TenantBacklogIT: b's first completion was number %d, b done %.1f s after the first "
                    + "completion, b had %d of %d completions while both waited%n", firstOfB + 1,
                    (lastOfBMillis - firstMillis) / 1000.0, bWhileBothWaited, lastOfB - firstOfB + 1);
            assertThat(tenantsInOrder.stream().filter("team-b"::equals).count()).as("b's prompts answered")
                    .isEqualTo(behind);
            assertThat(firstOfB).as("b's first completion, behind a backlog of " + backlog).isLessThan(500);
            assertThat((double) bWhileBothWaited / (lastOfB - firstOfB + 1)).as("b's share while both waited")
                    .isBetween(0.40, 0.60);
        }
    }

    @Test
    void aTenantWaitingForTheNextDayDoesNotHoldUpTheOthers() throws Exception {
        int waiting = 6_000;
        int behind = 200;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(34).build())) {
            kafka.createTopic("prompts", 1);
            for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", waiting + behind, i -> i < waiting
                    ? "{\"id\": \"w-" + i + "\", \"tenant\": \"team-w\", \"prompt\": \"Backfill " + i + "\", \"max_tokens\": 20}"
                    : "{\"id\": \"b-" + i + "\", \"tenant\": \"team-b\", \"prompt\": \"Ticket " + i + "\"}");
            // Up to 5 cents a prompt, more than w's 0.01 USD a day: all of w's 6,000 wait for the next UTC day,
            // more than the stage's 5,000, and none leaves the stage to make room.
            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, price: {input: 1000, output: 2000}}}",
                    "tenants: {team-w: {weight: 1, spend-per-day: 0.01, when-spent: wait}, team-b: {weight: 1}}",
                    "job: {bounded: false}");
            int ofB = 0;
            int ofW = 0;
            try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions"), false)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (ofB < behind && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                        ofB += record.key().startsWith("b-") ? 1 : 0;
                        ofW += record.key().startsWith("w-") ? 1 : 0;
                    }
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            assertThat(ofW).as("w's prompts answered: none, its day is spent").isZero();
            assertThat(ofB).as("b's prompts, behind w's waiting thousands").isEqualTo(behind);
        }
    }

    @Test
    void everyPromptIsAnsweredOnceThroughTheBacklog() throws Exception {
        int backlog = 8_000;
        int behind = 500;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(32).build())) {
            writePrompts(kafka, 2, backlog, behind);
            // 1,000 prompts a second: the source reads all 8,500 long before the stage's 5,000 are answered, and
            // leaves 3,500 in Kafka.
            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60000}}", TENANTS, "job: {parallelism: 1}");
            assertEachOnce(KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions"), backlog, behind);
        }
    }

    @Test
    void aLostTaskManagerRepeatsAndLosesNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        int backlog = 14_000;
        int behind = 500;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).seed(33).build())) {
            writePrompts(kafka, 2, backlog, behind);
            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60000}}", TENANTS,
                    "kafka: {delivery-guarantee: exactly-once, transactional-id-prefix: backlog-it}",
                    "job: {bounded: false, parallelism: 2, checkpoint-interval: 1s}");
            try {
                // Each instance reads about 7,250 prompts and holds 5,000: the rest wait in Kafka, 1,000 answered a
                // second.
                waitForCommitted(kafka.bootstrapServers(), 3_000);
                cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
                cluster.startTaskManager();
                waitForCommitted(kafka.bootstrapServers(), backlog + behind);
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            assertEachOnce(KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions", true), backlog, behind);
        }
    }

    /** Writes the backlog of team-a, then the prompts of team-b, into the same partitions. */
    private static void writePrompts(EmbeddedKafkaBroker kafka, int partitions, int backlog, int behind) {
        kafka.createTopic("prompts", partitions);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 1);
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", backlog + behind, i -> i < backlog
                ? "{\"id\": \"a-" + i + "\", \"tenant\": \"team-a\", \"prompt\": \"Backfill record " + i + "\"}"
                : "{\"id\": \"b-" + i + "\", \"tenant\": \"team-b\", \"prompt\": \"Ticket " + i + "\"}");
    }

    private static void assertEachOnce(Map<String, JsonNode> completions, int backlog, int behind) {
        assertThat(completions).as("one completion per prompt (readAll fails on a duplicate)")
                .hasSize(backlog + behind);
        for (int i = 0; i < backlog + behind; i++) {
            assertThat(completions).containsKey((i < backlog ? "a-" : "b-") + i);
        }
    }

    /** Waits until the committed completions number at least {@code atLeast}. */
    private static void waitForCommitted(String bootstrapServers, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        int seen = 0;
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("completions"), true)) {
            while (seen < atLeast && System.nanoTime() < deadline) {
                seen += reader.poll(Duration.ofMillis(200)).size();
            }
        }
        assertThat(seen).as("completions committed").isGreaterThanOrEqualTo(atLeast);
    }
}
