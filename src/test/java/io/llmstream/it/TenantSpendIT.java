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
import static org.assertj.core.api.Assertions.within;

/**
 * A tenant's spend cap through Kafka, on two parallel instances that share it through the coordinator: what
 * the tenant's completions cost never passes the cap, its further prompts become {@code spend_limit} dead letters,
 * the ledger's cost is the completions' cost — and all of it holds across a lost TaskManager.
 */
class TenantSpendIT {
    private static final int D = 600;
    private static final int A = 200;
    /** A thousand dollars a million prompt tokens, two thousand a million completion tokens: cents per prompt. */
    private static final String MODELS = "models: {m1: {endpoint: mock, rpm: 12000, price: {input: 1000, output: 2000}}}";
    private static final double CAP = 9.00;
    private static final String TENANTS = "tenants: {team-a: {weight: 1}, team-d: {weight: 1, spend-per-day: 9.00}}";

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void aCappedTenantSpendsUpToItsCapAndNoMore() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(21).build())) {
            createTopicsAndWritePrompts(kafka);
            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(), MODELS, TENANTS,
                    "kafka: {topics: {usage: llmstream-usage}}", "job: {parallelism: 2}");

            Outcome outcome = read(kafka, false);
            assertThat(outcome.completionsOfA).as("the uncapped tenant is answered").isEqualTo(A);
            assertThat(outcome.spentByD).as("d's completions cost").isLessThanOrEqualTo(CAP)
                    .as("d stops within one request of its cap (a request may cost 0.12 at most)")
                    .isGreaterThan(CAP - 0.12);
            assertThat(outcome.spendLimited).as("the rest of d's prompts").isEqualTo(D - outcome.completionsOfD)
                    .isGreaterThan(0);
            assertThat(outcome.ledgerCostOfD).as("the ledger's cost of d").isCloseTo(outcome.spentByD, within(0.01));
            assertThat(outcome.ledgerSpendLimited).as("the ledger's spend_limited").isEqualTo(outcome.spendLimited);
        }
    }

    @Test
    void theCapHoldsAcrossALostTaskManager(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(22).build())) {
            createTopicsAndWritePrompts(kafka);
            // Unbounded: a bounded job takes in all 800 prompts at once and then waits at the end of its input,
            // where Flink completes no checkpoint. 1,200 RPM: about half a minute of work, a checkpoint a second.
            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    MODELS.replace("12000", "1200"), TENANTS, "kafka: {topics: {usage: llmstream-usage}, "
                            + "delivery-guarantee: exactly-once, transactional-id-prefix: spend-it}",
                    "job: {bounded: false, parallelism: 2, checkpoint-interval: 1s}");
            try {
                waitForCommitted(kafka.bootstrapServers(), 250);
                cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
                cluster.startTaskManager();
                waitForCommitted(kafka.bootstrapServers(), D + A);
                // The ledger's last window closes a window's length after the last prompt ends, and is committed
                // with the checkpoint after that.
                waitForLedger(kafka.bootstrapServers(), D + A);
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }

            Outcome outcome = read(kafka, true);
            assertThat(outcome.completionsOfA).isEqualTo(A);
            // Never past the cap. A restart may leave the day short by what was under way between the coordinator
            // and the instances at the restored checkpoint (conservative: lost for the day, never spent twice).
            assertThat(outcome.spentByD).as("d's committed completions cost, across the restart")
                    .isLessThanOrEqualTo(CAP).isGreaterThan(CAP * 0.95);
            assertThat(outcome.spendLimited).isEqualTo(D - outcome.completionsOfD);
            assertThat(outcome.ledgerCostOfD).as("the ledger's cost of d, across the restart")
                    .isCloseTo(outcome.spentByD, within(0.01));
            assertThat(outcome.ledgerSpendLimited).as("the ledger's spend_limited, across the restart")
                    .isEqualTo(outcome.spendLimited);
        }
    }

    private static void createTopicsAndWritePrompts(EmbeddedKafkaBroker kafka) throws Exception {
        kafka.createTopic("prompts", 2);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics", "llmstream-usage")) {
            kafka.createTopic(topic, 1);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < D; i++) {
            values.add("{\"id\": \"d-" + i + "\", \"tenant\": \"team-d\", \"prompt\": \"Summarise order " + i
                    + "\", \"max_tokens\": 50}");
            if (i < A) {
                values.add("{\"id\": \"a-" + i + "\", \"tenant\": \"team-a\", \"prompt\": \"Ticket " + i + "\"}");
            }
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
    }

    private record Outcome(int completionsOfA, int completionsOfD, double spentByD, int spendLimited,
                           double ledgerCostOfD, long ledgerSpendLimited) {}

    private static Outcome read(EmbeddedKafkaBroker kafka, boolean readCommitted) throws Exception {
        Map<String, JsonNode> completions = KafkaJobRuns.readAll(kafka.bootstrapServers(), "completions",
                readCommitted);
        Map<String, JsonNode> deadLetters = KafkaJobRuns.readAll(kafka.bootstrapServers(), "prompts-dlq",
                readCommitted);
        assertThat(completions.size() + deadLetters.size()).as("each prompt once").isEqualTo(D + A);
        int ofA = 0;
        int ofD = 0;
        double spent = 0;
        for (JsonNode completion : completions.values()) {
            if (completion.path("tenant").asText().equals("team-a")) {
                ofA++;
            } else {
                ofD++;
                JsonNode usage = completion.path("usage");
                spent += (usage.path("prompt_tokens").asLong() * 1000 + usage.path("completion_tokens").asLong() * 2000)
                        / 1e6;
            }
        }
        for (JsonNode deadLetter : deadLetters.values()) {
            assertThat(deadLetter.path("tenant").asText()).isEqualTo("team-d");
            assertThat(deadLetter.path("error").path("kind").asText()).isEqualTo("spend_limit");
            assertThat(deadLetter.path("error").path("message").asText())
                    .startsWith("tenant team-d has spent its 9.00 USD of ").endsWith("tenants.team-d.spend-per-day");
        }
        double ledgerCost = 0;
        long ledgerSpendLimited = 0;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("llmstream-usage"),
                readCommitted)) {
            for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(5))) {
                JsonNode usage = new ObjectMapper().readTree(record.value());
                if (usage.path("tenant").asText().equals("team-d")) {
                    ledgerCost += usage.path("cost_usd").asDouble();
                    ledgerSpendLimited += usage.path("spend_limited").asLong();
                }
            }
        }
        Outcome outcome = new Outcome(ofA, ofD, spent, deadLetters.size(), ledgerCost, ledgerSpendLimited);
        System.out.printf("TenantSpendIT: team-d spent %.4f of %.2f USD in %d completions, %d spend_limit dead letters; "
                + "ledger %.4f USD%n", spent, CAP, ofD, deadLetters.size(), ledgerCost);
        return outcome;
    }

    /** Waits until the completions and dead letters committed number at least {@code atLeast}. */
    private static void waitForCommitted(String bootstrapServers, int atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        int seen = 0;
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("completions", "prompts-dlq"), true)) {
            while (seen < atLeast && System.nanoTime() < deadline) {
                seen += reader.poll(Duration.ofMillis(200)).size();
            }
        }
        assertThat(seen).as("outputs committed").isGreaterThanOrEqualTo(atLeast);
    }

    /** Waits until the ledger's committed windows account for at least {@code prompts} prompts. */
    private static void waitForLedger(String bootstrapServers, int prompts) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long seen = 0;
        ObjectMapper json = new ObjectMapper();
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of("llmstream-usage"), true)) {
            while (seen < prompts && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                    seen += json.readTree(record.value()).path("prompts").asLong();
                }
            }
        }
        assertThat(seen).as("prompts in the committed ledger").isEqualTo(prompts);
    }
}
