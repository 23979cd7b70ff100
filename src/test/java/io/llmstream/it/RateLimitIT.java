package io.llmstream.it;

import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** The provider (the mock, enforcing limits per key the way providers do) never has to refuse the job. */
class RateLimitIT {
    private static final int PROMPTS = 1200;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void twoKeysEachStayWithinTheirOwnLimits() throws Exception {
        MockOptions limits = MockOptions.builder().port(0).latencyMs(20).seed(2)
                .apiKeys(java.util.List.of("key-a", "key-b"))
                .limit("key-a", "m1", 3000, 1_000_000)
                .limit("key-b", "m1", 1500, 1_000_000)
                .build();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(limits)) {
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS,
                    i -> "{\"id\": \"r-" + i + "\", \"prompt\": \"Rate limited prompt " + i + "\", \"max_tokens\": 20}");

            KafkaJobRuns.runBounded(kafka.bootstrapServers(), mock.baseUrl(),
                    "endpoints: {mock: {api-keys: [{key: key-a, id: a}, {key: key-b, id: b, weight: 0.5}]}}",
                    "models: {m1: {endpoint: mock, rpm: 3000, tpm: 1000000}}");

            assertThat(KafkaJobRuns.readById(kafka.bootstrapServers(), "completions", PROMPTS)).hasSize(PROMPTS);
            MockStats stats = mock.stats();
            assertThat(stats.rateLimited()).as("429s").isZero();
            MockStats.KeyModel a = stats.keyModel("key-a", "m1");
            MockStats.KeyModel b = stats.keyModel("key-b", "m1");
            assertThat(a.admitted() + b.admitted()).isEqualTo(PROMPTS);
            assertThat((double) a.admitted() / b.admitted()).as("traffic in proportion to the limits").isBetween(1.7, 2.3);
            // Within any second: at most a full bucket (one second of the limit) plus one second of refill.
            assertThat(a.peakRequests1s()).isLessThanOrEqualTo(2 * 3000 / 60);
            assertThat(b.peakRequests1s()).isLessThanOrEqualTo(2 * 1500 / 60);
        }
    }
}
