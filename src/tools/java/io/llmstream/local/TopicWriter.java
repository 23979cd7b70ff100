package io.llmstream.local;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/** Writes prompts into a topic, as a user's producer would, for the demo, the benchmarks and tests. */
public final class TopicWriter {
    private TopicWriter() {}

    /** Sends the values without keys and waits until every one is acknowledged. */
    public static void write(String bootstrapServers, String topic, List<String> values) {
        write(bootstrapServers, topic, values.size(), values::get);
    }

    /** Sends {@code count} generated values, made one at a time so a million of them never sit on the heap. */
    public static void write(String bootstrapServers, String topic, int count, IntFunction<String> value) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            AtomicReference<Exception> failure = new AtomicReference<>();
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, value.apply(i)), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
            }
            producer.flush();
            if (failure.get() != null) {
                throw new IllegalStateException("writing to topic " + topic + " failed: " + failure.get(), failure.get());
            }
        }
    }
}
