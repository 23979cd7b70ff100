package io.llmstream.local.kafka;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.AppInfoParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.llmstream.local.Ports.LOOPBACK;

/**
 * A real Kafka broker, started in this JVM: one KRaft node that is broker and controller at once,
 * listening on 127.0.0.1 only. It runs the production server classes, so transactions,
 * {@code read_committed} and consumer groups behave as on a cluster, which lets the local demo and
 * the tests run the exactly-once pipeline without Docker.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Options.defaults())) {
 *     broker.createTopic("prompts", 4);
 *     String servers = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** How long {@link #start} waits for the broker to answer clients before it gives up. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    /** How long {@link #createTopic} waits for the topic's partitions to get their leader. */
    public static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration TOPIC_POLL_INTERVAL = Duration.ofMillis(20);
    /** Attempts of {@link #start} when a port it picked is taken before the broker binds it. */
    private static final int BIND_ATTEMPTS = 3;

    private final RunningBroker running;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafkaBroker(RunningBroker running) {
        this.running = running;
    }

    /**
     * Formats the log directory if needed, starts the broker and returns once it answers a client
     * request. When all ports are picked here (port 0) and one of them was taken between picking
     * and binding, it tries again with others.
     *
     * @throws IllegalStateException if it fails or does not come up within {@link #STARTUP_TIMEOUT}
     */
    public static EmbeddedKafkaBroker start(Options options) {
        Objects.requireNonNull(options, "options must not be null; use Options.defaults()");
        for (int attempt = 1; ; attempt++) {
            try {
                RunningBroker running = RunningBroker.start(options, STARTUP_TIMEOUT);
                LOG.info("Kafka broker (KRaft, {}) listening on {}:{}, data in {}",
                        AppInfoParser.getVersion(), LOOPBACK, running.port, running.directory);
                return new EmbeddedKafkaBroker(running);
            } catch (IllegalStateException e) {
                if (options.port() != 0 || attempt == BIND_ATTEMPTS || !RunningBroker.failedToBind(e)) {
                    throw e;
                }
                LOG.debug("A port picked for the embedded Kafka broker was taken meanwhile; trying others", e);
            }
        }
    }

    /** The {@code bootstrap.servers} for clients, {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return LOOPBACK + ":" + running.port;
    }

    /** The client port: the one asked for, or the free one picked for port 0. */
    public int port() {
        return running.port;
    }

    /** The log directory: the caller's, or the temporary one deleted on {@link #close()}. */
    public Path directory() {
        return running.directory.path();
    }

    /**
     * Creates a topic with one replica and returns once every partition has a leader, so clients
     * can use it right away. A topic that exists already is left as it is, whatever its partitions.
     *
     * @throws IllegalStateException if the broker refuses or the topic is not ready within
     *     {@link #TOPIC_TIMEOUT}
     */
    public void createTopic(String topic, int partitions) {
        createTopic(topic, partitions, Map.of());
    }

    /**
     * As {@link #createTopic(String, int)}, with topic configs such as {@code max.message.bytes}, so tests
     * can make topics like the ones users have.
     */
    public void createTopic(String topic, int partitions, Map<String, String> configs) {
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("topic must not be blank, was '" + topic + "'");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException(
                    "partitions of topic '" + topic + "' must be at least 1, was " + partitions);
        }
        if (closed.get()) {
            throw new IllegalStateException("cannot create topic '" + topic + "': the broker is closed");
        }
        Deadline deadline = Deadline.after(TOPIC_TIMEOUT);
        NewTopic newTopic = new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(configs);
        try {
            deadline.await(running.admin.createTopics(List.of(newTopic)).all(),
                    "topic '" + topic + "' to be created");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(
                        "cannot create topic '" + topic + "': " + e.getCause().getMessage(), e.getCause());
            }
        }
        awaitLeaders(topic, deadline);
    }

    /**
     * Shuts the broker down cleanly and deletes its directory if it was a temporary one. Safe to
     * call twice.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        running.stop();
        LOG.info("Kafka broker on {} stopped in {} ms",
                bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Waits until the broker's own metadata shows a leader for every partition of the topic. */
    private void awaitLeaders(String topic, Deadline deadline) {
        String what = "topic '" + topic + "' to get a leader for every partition";
        while (true) {
            try {
                TopicDescription description =
                        deadline.await(running.admin.describeTopics(List.of(topic)).allTopicNames(), what).get(topic);
                if (description.partitions().stream().allMatch(EmbeddedKafkaBroker::hasLeader)) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException(
                            "cannot describe topic '" + topic + "': " + e.getCause().getMessage(), e.getCause());
                }
            }
            deadline.pause(TOPIC_POLL_INTERVAL, what);
        }
    }

    private static boolean hasLeader(TopicPartitionInfo partition) {
        return partition.leader() != null && !partition.leader().isEmpty();
    }

    /** What to start: immutable, validated on every change so a bad value fails where it is set. */
    public static final class Options {

        /** Server properties that say where the node is and who it is; {@link #withServerProperty} leaves them. */
        private static final Map<String, String> OWN_PROPERTIES = Map.of(
                "node.id", "the embedded broker is node " + BrokerProperties.NODE_ID,
                "process.roles", "the embedded broker is broker and controller at once",
                "log.dirs", "use withDirectory",
                "listeners", "the embedded broker listens on loopback at the port of withPort",
                "advertised.listeners", "the embedded broker listens on loopback at the port of withPort",
                "controller.quorum.voters", "the embedded broker is its own controller",
                "num.partitions", "use withDefaultPartitions");

        private final int port;
        private final Path directory;
        private final int defaultPartitions;
        private final Map<String, String> serverProperties;
        private final Map<String, String> clientProperties;

        private Options(int port, Path directory, int defaultPartitions, Map<String, String> serverProperties,
                Map<String, String> clientProperties) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
            }
            if (defaultPartitions < 1) {
                throw new IllegalArgumentException("defaultPartitions must be at least 1, was " + defaultPartitions);
            }
            this.port = port;
            this.directory = directory;
            this.defaultPartitions = defaultPartitions;
            this.serverProperties = Collections.unmodifiableMap(new TreeMap<>(serverProperties));
            this.clientProperties = Collections.unmodifiableMap(new TreeMap<>(clientProperties));
        }

        /** A free port, a temporary directory, one partition for auto-created topics, Kafka's defaults. */
        public static Options defaults() {
            return new Options(0, null, 1, Map.of(), Map.of());
        }

        /** The client port; 0 picks a free one. Kafka's usual port is 9092. */
        public Options withPort(int port) {
            return new Options(port, directory, defaultPartitions, serverProperties, clientProperties);
        }

        /**
         * Where the broker keeps its data; null for a temporary directory that is deleted on close.
         * A given directory is kept, and one formatted by an earlier run is reused with its data.
         */
        public Options withDirectory(Path directory) {
            return new Options(port, directory, defaultPartitions, serverProperties, clientProperties);
        }

        /** Partitions of topics that clients create by using them ({@code num.partitions}). */
        public Options withDefaultPartitions(int defaultPartitions) {
            return new Options(port, directory, defaultPartitions, serverProperties, clientProperties);
        }

        /**
         * A broker setting other than Kafka's default, such as a lower {@code transaction.max.timeout.ms} or
         * a SASL listener ({@code listener.security.protocol.map}, {@code sasl.enabled.mechanisms}, ...), so a
         * test can meet a broker that is set up unlike the default one. The node's identity, address and
         * directory are not settings of this kind.
         */
        public Options withServerProperty(String key, String value) {
            requireKeyAndValue("server property", key, value);
            String owner = OWN_PROPERTIES.get(key);
            if (owner != null) {
                throw new IllegalArgumentException("server property '" + key + "' cannot be set: " + owner);
            }
            Map<String, String> changed = new TreeMap<>(serverProperties);
            changed.put(key, value);
            return new Options(port, directory, defaultPartitions, changed, clientProperties);
        }

        /**
         * A setting of the broker's own admin client, which waits for the broker and creates topics: the
         * credentials when {@link #withServerProperty server properties} make the listener require them.
         */
        public Options withClientProperty(String key, String value) {
            requireKeyAndValue("client property", key, value);
            Map<String, String> changed = new TreeMap<>(clientProperties);
            changed.put(key, value);
            return new Options(port, directory, defaultPartitions, serverProperties, changed);
        }

        private static void requireKeyAndValue(String what, String key, String value) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException(what + " key must not be blank, was '" + key + "'");
            }
            if (value == null) {
                throw new IllegalArgumentException(what + " '" + key + "' needs a value, was null");
            }
        }

        public int port() {
            return port;
        }

        /** The directory, or null for a temporary one. */
        public Path directory() {
            return directory;
        }

        public int defaultPartitions() {
            return defaultPartitions;
        }

        /** Broker settings over Kafka's defaults, by key. */
        public Map<String, String> serverProperties() {
            return serverProperties;
        }

        /** Settings of the broker's own admin client, by key. */
        public Map<String, String> clientProperties() {
            return clientProperties;
        }

        /** Shows client property names only: their values may hold passwords (sasl.jaas.config). */
        @Override
        public String toString() {
            return "Options{port=" + port + ", directory=" + (directory == null ? "<temporary>" : directory)
                    + ", defaultPartitions=" + defaultPartitions + ", serverProperties=" + serverProperties.keySet()
                    + ", clientProperties=" + clientProperties.keySet() + "}";
        }
    }
}
