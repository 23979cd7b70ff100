package io.llmstream.local.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.llmstream.local.kafka.KafkaTestClients.consumer;
import static io.llmstream.local.kafka.KafkaTestClients.pollAtLeast;
import static io.llmstream.local.kafka.KafkaTestClients.producer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starting, stopping and restarting brokers: directories, threads and startup failures. */
class EmbeddedKafkaBrokerLifecycleTest {

    private static final Duration THREAD_DEADLINE = Duration.ofSeconds(10);

    @Test
    void restartWithTheSameDirectoryKeepsRecords(@TempDir Path dir) {
        Path data = dir.resolve("kafka");
        List<String> sent = IntStream.range(0, 10).mapToObj(i -> "record-" + i).collect(Collectors.toList());
        try (EmbeddedKafkaBroker broker = start(data)) {
            broker.createTopic("durable", 1);
            try (KafkaProducer<String, String> producer = producer(broker, Map.of())) {
                sent.forEach(value -> producer.send(new ProducerRecord<>("durable", value, value)));
                producer.flush();
            }
        }
        assertThat(data.resolve(LogDirectory.META_PROPERTIES)).isRegularFile();

        try (EmbeddedKafkaBroker broker = start(data)) {
            broker.createTopic("durable", 1);
            try (KafkaConsumer<String, String> consumer = consumer(broker, "read_committed")) {
                consumer.subscribe(List.of("durable"));
                List<String> received = pollAtLeast(consumer, sent.size()).stream()
                        .map(ConsumerRecord::value).collect(Collectors.toList());
                assertThat(received).isEqualTo(sent);
            }
        }
        assertThat(data).isDirectory();
    }

    @Test
    void closeDeletesTheTemporaryDirectoryAndIsIdempotent() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
        Path dir = broker.directory();
        assertThat(dir.resolve(LogDirectory.META_PROPERTIES)).isRegularFile();
        broker.close();
        broker.close();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> broker.createTopic("late", 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot create topic 'late': the broker is closed");
    }

    @Test
    void closeLeavesNoThreadThatKeepsTheJvmAlive() throws InterruptedException {
        Set<Thread> before = liveNonDaemonThreads();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults())) {
            broker.createTopic("threads", 1);
            assertThat(leftOver(before)).as("the running broker's own non-daemon threads").isNotEmpty();
        }
        assertNoThreadLeftSince(before);
    }

    @Test
    void failsClearlyWhenThePortIsTaken(@TempDir Path dir) throws Exception {
        Set<Thread> before = liveNonDaemonThreads();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(
                            EmbeddedKafkaBroker.Options.defaults().withPort(port).withDirectory(dir)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Kafka broker failed to start on 127.0.0.1:" + port + " (data in " + dir)
                    .hasMessageEndingWith("(root cause: java.net.BindException: Address already in use)");
        }
        assertThat(dir.resolve(LogDirectory.META_PROPERTIES)).isRegularFile();
        assertNoThreadLeftSince(before);
    }

    private static EmbeddedKafkaBroker start(Path dir) {
        return EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(0).withDirectory(dir));
    }

    /** Joins the threads started since {@code before}, then asserts that none of them is alive. */
    private static void assertNoThreadLeftSince(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + THREAD_DEADLINE.toNanos();
        for (Thread thread : leftOver(before)) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        assertThat(leftOver(before)).extracting(Thread::getName).isEmpty();
    }

    private static Set<Thread> liveNonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && !thread.isDaemon())
                .collect(Collectors.toSet());
    }

    private static Set<Thread> leftOver(Set<Thread> before) {
        Set<Thread> now = liveNonDaemonThreads();
        now.removeAll(before);
        return now;
    }
}
