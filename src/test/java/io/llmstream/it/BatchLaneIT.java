package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both lanes of one model at once, as deployed: a real KRaft broker in and out, the mock's chat and Batch API
 * over real sockets, a MiniCluster of parallelism 2. Batch records come back as completions with their batch, a
 * line the batch API refuses as a dead letter, lines of expired batches asked again; online records never wait
 * for the batches and the online requests are the online records' only.
 */
class BatchLaneIT {
    private static final int BATCH_RECORDS = 400;
    private static final int ONLINE_RECORDS = 50;
    private static final int REFUSED = 123;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static MockLlmServer mock;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).seed(3).rpm(600)
                .batchInProgress(Duration.ofSeconds(2)).batchExpireShare(0.5).build());
    }

    @AfterAll
    static void stop() {
        mock.close();
        kafka.close();
    }

    private static String batchText(int i) {
        return i == REFUSED ? "[[mock:400x*]] row " + i : "Classify row " + i;
    }

    @Test
    void eachRecordEndsOnceInItsOwnLane() throws Exception {
        kafka.createTopic("prompts", 4);
        for (String topic : List.of("completions", "prompts-dlq", "llmstream-metrics")) {
            kafka.createTopic(topic, 2);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < BATCH_RECORDS; i++) {
            values.add("{\"id\": \"b-" + i + "\", \"lane\": \"batch\", \"prompt\": \"" + batchText(i)
                    + "\", \"max_tokens\": 16, \"metadata\": {\"row\": " + i + "}}");
            if (i % (BATCH_RECORDS / ONLINE_RECORDS) == 0) {
                values.add("{\"id\": \"o-" + i + "\", \"prompt\": \"Summarize row " + i + "\", \"max_tokens\": 16}");
            }
        }
        TopicWriter.write(kafka.bootstrapServers(), "prompts", values);
        int online = values.size() - BATCH_RECORDS;

        KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 600, batch-lane: {max-lines: 50, max-wait: 1s, poll: 500ms}, "
                        + "price: {input: 0.15, output: 0.60}}}",
                "call: {retry: {initial-backoff: 20ms}}", "job: {parallelism: 2}");

        Map<String, JsonNode> completions = KafkaJobRuns.readById(kafka.bootstrapServers(), "completions",
                BATCH_RECORDS - 1 + online);
        Map<String, JsonNode> deadLetters = KafkaJobRuns.readById(kafka.bootstrapServers(), "prompts-dlq", 1);
        for (int i = 0; i < BATCH_RECORDS; i++) {
            String id = "b-" + i;
            if (i == REFUSED) {
                JsonNode dead = deadLetters.get(id);
                assertThat(dead.path("error").path("kind").asText()).isEqualTo("bad_request");
                assertThat(dead.path("error").path("status").asInt()).isEqualTo(400);
                assertThat(dead.path("attempts").asInt()).as("its batch, after any that expired first").isBetween(1, 4);
                assertThat(completions).doesNotContainKey(id);
                continue;
            }
            JsonNode completion = completions.get(id);
            assertThat(completion).as(id).isNotNull();
            assertThat(completion.path("content").asText()).isEqualTo(MockAnswers.contentFor(batchText(i)));
            assertThat(completion.path("lane").asText()).isEqualTo("batch");
            assertThat(completion.path("batch_id").asText()).startsWith("batch_");
            assertThat(completion.path("metadata").path("row").asInt()).isEqualTo(i);
            assertThat(completion.path("usage").path("completion_tokens").asInt()).isPositive();
        }
        long onlineAttempts = 0;
        for (Map.Entry<String, JsonNode> completion : completions.entrySet()) {
            if (completion.getKey().startsWith("o-")) {
                assertThat(completion.getValue().has("lane")).as("an online completion").isFalse();
                onlineAttempts += completion.getValue().path("attempts").asInt();
            }
        }

        MockStats stats = mock.stats();
        MockStats.Batch batches = stats.batch();
        assertThat(stats.byKeyModel().values().stream().mapToLong(MockStats.KeyModel::requests).sum())
                .as("online requests: the online records' only").isEqualTo(onlineAttempts);
        assertThat(batches.batchesByStatus().getOrDefault("expired", 0L)).as("some batches expired").isPositive();
        assertThat(batches.linesSubmitted()).as("lines asked again only for expired batches")
                .isGreaterThan(BATCH_RECORDS).isLessThanOrEqualTo(BATCH_RECORDS * 3 / 2);
        long requests = KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics", "requests");
        long batchLaneRequests = KafkaJobRuns.sum(kafka.bootstrapServers(), "llmstream-metrics",
                "batch_lane_requests");
        assertThat(new long[] {requests, batchLaneRequests}).as("requests, of them in the batch lane")
                .containsExactly(BATCH_RECORDS + online, BATCH_RECORDS);
    }
}
