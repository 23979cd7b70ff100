package io.llmstream.local.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static io.llmstream.local.Ports.LOOPBACK;

/**
 * The server properties of the embedded broker: one KRaft node that is both broker and controller,
 * on loopback only, with every replicated internal topic shrunk to one replica so that consumer
 * groups and transactions work on a single node.
 */
final class BrokerProperties {

    /** The node id of the only node; the log directory is formatted for it and reused with it. */
    static final int NODE_ID = 1;
    static final String CLIENT_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";

    /**
     * Flink's KafkaSink asks for one-hour transactions by default; the broker's 15-minute default
     * maximum would reject its producers.
     */
    static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofHours(1);

    /** Partitions of the internal topics: one is plenty for local work and loads fastest. */
    private static final int INTERNAL_TOPIC_PARTITIONS = 1;

    /** The log cleaner's default 128 MiB buffer is sized for production compaction, not a laptop. */
    private static final int CLEANER_BUFFER_BYTES = 16 * 1024 * 1024;

    private BrokerProperties() {}

    static Properties of(int port, int controllerPort, Path logDir, int defaultPartitions, Duration startupTimeout) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        // A static voter set keeps the controller endpoint out of the log, so a reused directory
        // still starts when the controller port has changed.
        props.put("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("listeners", CLIENT_LISTENER + "://" + LOOPBACK + ":" + port
                + "," + CONTROLLER_LISTENER + "://" + LOOPBACK + ":" + controllerPort);
        props.put("advertised.listeners", CLIENT_LISTENER + "://" + LOOPBACK + ":" + port);
        props.put("listener.security.protocol.map",
                CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("inter.broker.listener.name", CLIENT_LISTENER);
        props.put("log.dirs", logDir.toString());

        props.put("auto.create.topics.enable", "true");
        props.put("num.partitions", String.valueOf(defaultPartitions));
        props.put("default.replication.factor", "1");

        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        props.put("transaction.max.timeout.ms", String.valueOf(MAX_TRANSACTION_TIMEOUT.toMillis()));
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("share.coordinator.state.topic.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        props.put("group.initial.rebalance.delay.ms", "0");

        // Fewer threads and less memory than a production broker: this one shares a JVM.
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("background.threads", "2");
        props.put("num.recovery.threads.per.data.dir", "1");
        props.put("log.cleaner.dedupe.buffer.size", String.valueOf(CLEANER_BUFFER_BYTES));

        // Let the broker give up on its own too, rather than wait forever to be unfenced.
        props.put("server.max.startup.time.ms", String.valueOf(startupTimeout.toMillis()));
        return props;
    }
}
