package io.llmstream.observe;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Reads the metrics topic without a consumer group: partitions are assigned by hand and nothing is
 * committed, so any number of viewers can read without disturbing each other or leaving groups behind.
 * Reads committed records only, so windows of an aborted exactly-once transaction do not count twice.
 */
final class MetricsConsumer implements AutoCloseable {
    /** How long Kafka may take to answer one metadata or offsets request. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final MetricsTopic topic;
    private final KafkaConsumer<String, String> consumer;
    private final Map<TopicPartition, Long> endOffsets = new HashMap<>();
    private final Set<TopicPartition> finished = new HashSet<>();
    private Instant stopAfter;
    private long recordsRead;
    private long unreadable;
    private String firstProblem;

    MetricsConsumer(MetricsTopic topic) {
        this.topic = topic;
        Properties properties = new Properties();
        properties.putAll(topic.clientProperties());
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, topic.bootstrapServers());
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "llmstream-observe");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * Assigns every partition of the topic.
     *
     * @return false if the topic does not exist (yet)
     * @throws MetricsUnavailableException if Kafka does not answer within {@link #REQUEST_TIMEOUT}
     */
    boolean assign() {
        Map<String, List<PartitionInfo>> topics;
        try {
            topics = consumer.listTopics(REQUEST_TIMEOUT);
        } catch (TimeoutException e) {
            throw new MetricsUnavailableException("Kafka at " + topic.bootstrapServers() + " did not answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s; check --bootstrap-servers (or kafka.bootstrap-servers in "
                    + "--config) and that the broker is up", e);
        }
        List<PartitionInfo> infos = topics.get(topic.topic());
        if (infos == null || infos.isEmpty()) {
            return false;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
        consumer.assign(partitions);
        return true;
    }

    /**
     * Assigns every partition of the topic.
     *
     * @throws MetricsUnavailableException if the topic does not exist or Kafka does not answer
     */
    void assignOrFail() {
        if (!assign()) {
            throw new MetricsUnavailableException("topic " + topic.topic() + " does not exist on "
                    + topic.bootstrapServers() + "; give the job's metrics topic with --topic, or its configuration "
                    + "with --config");
        }
    }

    /**
     * Starts every partition at its first record written at or after {@code since}, but no later than
     * {@code tail} records before its end, so a topic the job stopped writing to still shows its last
     * windows. Records written later than the end found here are read too; {@link #caughtUp()} tells when
     * the ones already there have been.
     */
    void startAt(Instant since, int tail) {
        Set<TopicPartition> partitions = consumer.assignment();
        Map<TopicPartition, Long> timestamps = new HashMap<>();
        partitions.forEach(partition -> timestamps.put(partition, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> byTime = consumer.offsetsForTimes(timestamps, REQUEST_TIMEOUT);
        Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions, REQUEST_TIMEOUT);
        endOffsets.clear();
        endOffsets.putAll(consumer.endOffsets(partitions, REQUEST_TIMEOUT));
        for (TopicPartition partition : partitions) {
            long end = endOffsets.get(partition);
            OffsetAndTimestamp found = byTime.get(partition);
            long offset = found == null ? end : found.offset();
            offset = Math.min(offset, Math.max(beginnings.get(partition), end - tail));
            consumer.seek(partition, offset);
        }
    }

    /**
     * Treats a partition as read to its end once it delivers a record written after {@code instant}: with
     * {@link #startAt} this bounds a read of a time range on a topic that goes on past it.
     */
    void stopAfter(Instant instant) {
        this.stopAfter = instant;
    }

    /** The windows that arrived since the last call, waiting at most {@code timeout} for the first. */
    List<MetricsWindow> poll(Duration timeout) {
        List<MetricsWindow> windows = new ArrayList<>();
        for (ConsumerRecord<String, String> record : consumer.poll(timeout)) {
            recordsRead++;
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            if (finished.contains(partition)) {
                continue;
            }
            if (stopAfter != null && record.timestamp() > stopAfter.toEpochMilli()) {
                finished.add(partition);
                consumer.pause(List.of(partition));
                continue;
            }
            try {
                windows.add(MetricsWindowJson.parse(record.value()));
            } catch (IllegalArgumentException e) {
                if (unreadable++ == 0) {
                    firstProblem = e.getMessage() + " (partition " + record.partition() + ", offset "
                            + record.offset() + ")";
                }
            }
        }
        return windows;
    }

    /** Whether every record that was in the topic when reading started has been read. */
    boolean caughtUp() {
        for (Map.Entry<TopicPartition, Long> end : endOffsets.entrySet()) {
            if (!finished.contains(end.getKey()) && consumer.position(end.getKey(), REQUEST_TIMEOUT) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Records delivered so far, windows or not: progress. */
    long recordsRead() {
        return recordsRead;
    }

    /** Records that were not metrics windows, as a clause for a message; empty if there were none. */
    String unreadableNote() {
        return unreadable == 0 ? "" : "; skipped " + unreadable + " record(s) that are not metrics windows, the first: "
                + firstProblem;
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
