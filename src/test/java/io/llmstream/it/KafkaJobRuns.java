package io.llmstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.LlmStreamJob;
import io.llmstream.TestConfigs;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaConnectors;
import io.llmstream.local.TopicReader;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the Kafka job on the test's MiniCluster and reads back what it wrote, for the integration tests (public
 * for those in sub-packages, such as the real servers' in {@code it.llama}).
 */
public final class KafkaJobRuns {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaJobRuns() {}

    /** Runs the job, bounded, reading the input topic from the earliest offset, until it ends. */
    public static JobExecutionResult runBounded(String bootstrapServers, String mockUrl, String... moreYaml)
            throws Exception {
        return run(bootstrapServers, mockUrl, false, moreYaml);
    }

    /**
     * As {@link #runBounded}, with restart-strategy none: any failure of the job ends it with an exception
     * instead of a silent restart.
     */
    public static JobExecutionResult runBoundedFailingOnError(String bootstrapServers, String mockUrl,
            String... moreYaml) throws Exception {
        return run(bootstrapServers, mockUrl, true, moreYaml);
    }

    /**
     * As {@link #runBoundedFailingOnError(String, String, String...)}, with the endpoints given in {@code yaml}
     * instead of the mock's, their {@code ${VAR}} placeholders read from {@code environment}.
     */
    public static JobExecutionResult runBoundedFailingOnError(String bootstrapServers,
            Function<String, String> environment, String... yaml) throws Exception {
        return prepare(new ConfigLoader(environment).loadYaml(withJobBasics(bootstrapServers, yaml)), true)
                .execute("llmstream-it");
    }

    /** As {@link #runBounded}, returning once the job is submitted. */
    public static JobClient startBounded(String bootstrapServers, String mockUrl, String... moreYaml)
            throws Exception {
        return prepare(TestConfigs.withEndpoint(mockUrl, withJobBasics(bootstrapServers, moreYaml)), false)
                .executeAsync("llmstream-it");
    }

    /**
     * As {@link #startBounded(String, String, String...)}, with the endpoints given in {@code yaml} instead of
     * the mock's, their {@code ${VAR}} placeholders read from {@code environment}.
     */
    public static JobClient startBounded(String bootstrapServers, Function<String, String> environment,
            String... yaml) throws Exception {
        return prepare(new ConfigLoader(environment).loadYaml(withJobBasics(bootstrapServers, yaml)), false)
                .executeAsync("llmstream-it");
    }

    private static JobExecutionResult run(String bootstrapServers, String mockUrl, boolean failOnError,
            String... moreYaml) throws Exception {
        return prepare(TestConfigs.withEndpoint(mockUrl, withJobBasics(bootstrapServers, moreYaml)), failOnError)
                .execute("llmstream-it");
    }

    /** The broker, read from the earliest offset, and a bounded run with frequent checkpoints, then the rest. */
    private static String[] withJobBasics(String bootstrapServers, String... moreYaml) {
        String[] documents = new String[moreYaml.length + 2];
        documents[0] = "kafka: {bootstrap-servers: '" + bootstrapServers + "', starting-offsets: earliest}";
        documents[1] = "job: {bounded: true, checkpoint-interval: 2s}";
        System.arraycopy(moreYaml, 0, documents, 2, moreYaml.length);
        return documents;
    }

    private static StreamExecutionEnvironment prepare(LlmStreamConfig config, boolean failOnError) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        LlmStreamJob job = new LlmStreamJob(config);
        job.configure(env);
        if (failOnError) {
            Configuration noRestarts = new Configuration();
            noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            env.configure(noRestarts);
        }
        job.build(env, KafkaConnectors.source(config), new LlmStreamJob.Sinks(KafkaConnectors.completionSink(config),
                KafkaConnectors.deadLetterSink(config), KafkaConnectors.metricsSink(config),
                KafkaConnectors.usageSink(config)), KafkaConnectors.backlogReaders(config));
        return env;
    }

    /** Reads a topic until it holds {@code expected} records, checking keys and that no id appears twice. */
    public static Map<String, JsonNode> readById(String bootstrapServers, String topic, int expected) throws Exception {
        return readById(bootstrapServers, topic, expected, false);
    }

    /** As {@link #readById(String, String, int)}, reading only committed transactions if {@code readCommitted}. */
    public static Map<String, JsonNode> readById(String bootstrapServers, String topic, int expected,
            boolean readCommitted) throws Exception {
        Map<String, JsonNode> byId = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of(topic), readCommitted)) {
            while (byId.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(500))) {
                    putChecked(byId, record);
                }
            }
            assertThat(reader.poll(Duration.ofMillis(500))).as("records beyond the expected " + expected).isEmpty();
        }
        assertThat(byId).hasSize(expected);
        return byId;
    }

    /** Every record of a topic by id, checking keys and that no id appears twice. */
    public static Map<String, JsonNode> readAll(String bootstrapServers, String topic) throws Exception {
        return readAll(bootstrapServers, topic, false);
    }

    /** As {@link #readAll(String, String)}, reading only committed transactions if {@code readCommitted}. */
    public static Map<String, JsonNode> readAll(String bootstrapServers, String topic, boolean readCommitted)
            throws Exception {
        Map<String, JsonNode> byId = new HashMap<>();
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of(topic), readCommitted)) {
            List<ConsumerRecord<String, String>> records;
            do {
                records = reader.poll(Duration.ofSeconds(2));
                for (ConsumerRecord<String, String> record : records) {
                    putChecked(byId, record);
                }
            } while (!records.isEmpty());
        }
        return byId;
    }

    /** Adds a record by its id, checking that its key is the id and that the id is new. */
    private static void putChecked(Map<String, JsonNode> byId, ConsumerRecord<String, String> record)
            throws Exception {
        JsonNode value = JSON.readTree(record.value());
        assertThat(record.key()).isEqualTo(value.path("id").asText());
        assertThat(byId.put(record.key(), value)).as("duplicate " + record.key()).isNull();
    }

    /** The first record of a topic. */
    public static ConsumerRecord<String, String> first(String bootstrapServers, String topic) {
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of(topic), false)) {
            List<ConsumerRecord<String, String>> records = reader.poll(Duration.ofSeconds(5));
            assertThat(records).as("records in " + topic).isNotEmpty();
            return records.get(0);
        }
    }

    /** The sum of a numeric field over every record of a topic. */
    public static long sum(String bootstrapServers, String topic, String field) throws Exception {
        long sum = 0;
        try (TopicReader reader = new TopicReader(bootstrapServers, List.of(topic), false)) {
            for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(5))) {
                sum += JSON.readTree(record.value()).path(field).asLong();
            }
        }
        return sum;
    }
}
