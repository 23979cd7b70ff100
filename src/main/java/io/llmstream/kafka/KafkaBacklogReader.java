package io.llmstream.kafka;

import io.llmstream.call.backlog.BacklogReader;
import io.llmstream.record.InputRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Reads the input topic again for the call stage's backlog ({@link io.llmstream.call.backlog.TenantBacklog}),
 * with a consumer of its own on a thread of its own: assigned partitions, no group, nothing committed, the
 * source's client settings (so the same security and isolation level).
 */
final class KafkaBacklogReader implements BacklogReader {
    private static final Duration POLL = Duration.ofMillis(500);

    private final Properties properties;
    private final ExecutorService thread;
    private KafkaConsumer<byte[], byte[]> consumer;

    KafkaBacklogReader(Properties clientProperties, String clientId) {
        properties = new Properties();
        properties.putAll(clientProperties);
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        thread = Executors.newSingleThreadExecutor(runnable -> {
            Thread reader = new Thread(runnable, "llmstream backlog reader " + clientId);
            reader.setDaemon(true);
            return reader;
        });
    }

    @Override
    public CompletableFuture<Records> read(String topic, int partition, long from) {
        return CompletableFuture.supplyAsync(() -> fetch(new TopicPartition(topic, partition), from), thread);
    }

    private Records fetch(TopicPartition partition, long from) {
        if (consumer == null) {
            consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        Set<TopicPartition> assigned = consumer.assignment();
        if (!assigned.contains(partition)) {
            // Every partition read once stays assigned (paused while another is read): assigning anew would throw
            // away what was fetched ahead and register the consumer's metrics again on each read.
            List<TopicPartition> more = new ArrayList<>(assigned);
            more.add(partition);
            consumer.assign(more);
            consumer.seek(partition, from);
        } else if (positionOf(partition) != from) {
            consumer.seek(partition, from);
        }
        List<TopicPartition> others = new ArrayList<>(consumer.assignment());
        others.remove(partition);
        consumer.pause(others);
        consumer.resume(List.of(partition));
        long first = from;
        List<ConsumerRecord<byte[], byte[]>> polled;
        try {
            polled = consumer.poll(POLL).records(partition);
        } catch (OffsetOutOfRangeException deleted) {
            first = consumer.beginningOffsets(List.of(partition)).get(partition);
            consumer.seek(partition, first);
            polled = consumer.poll(POLL).records(partition);
        }
        List<InputRecord> records = new ArrayList<>(polled.size());
        for (ConsumerRecord<byte[], byte[]> record : polled) {
            records.add(new InputRecord(record.topic(), record.partition(), record.offset(), record.timestamp(),
                    record.value()));
        }
        return new Records(first, records);
    }

    /** Where the consumer reads the partition next; -1 when it has no valid position (its records were deleted). */
    private long positionOf(TopicPartition partition) {
        try {
            return consumer.position(partition, Duration.ZERO);
        } catch (InvalidOffsetException | TimeoutException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        thread.execute(() -> {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(1));
            }
        });
        thread.shutdown();
    }

    /** Opens readers with the source's client settings. */
    static BacklogReader.Factory factory(Properties clientProperties) {
        return clientId -> new KafkaBacklogReader(clientProperties, clientId);
    }
}
