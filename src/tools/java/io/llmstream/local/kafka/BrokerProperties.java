package io.llmstream.local.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static io.llmstream.local.Ports.LOOPBACK;

/**
 * The server properties of the embedded broker: one KRaft node that is both broker and controller,
 * on loopback only. Everything a client can notice keeps Apache Kafka's defaults, so that what works
 * against this broker works against a production one (transaction.max.timeout.ms of 15 minutes,
 * message.max.bytes, auto.create.topics.enable, default.replication.factor ...). What is overridden,
 * and why, is said next to each override.
 */
final class BrokerProperties {

    /** The node id of the only node; the log directory is formatted for it and reused with it. */
    static final int NODE_ID = 1;
    static final String CLIENT_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";

    /**
     * Partitions of the internal topics (consumer offsets, transaction state, share groups), 50 each by
     * default: on one node, 150 partitions only slow down the first consumer group and transaction by
     * seconds; clients see no difference.
     */
    private static final int INTERNAL_TOPIC_PARTITIONS = 1;

    /** The log cleaner's default 128 MiB buffer is sized for production compaction, not a laptop. */
    private static final int CLEANER_BUFFER_BYTES = 16 * 1024 * 1024;

    private BrokerProperties() {}

    /**
     * The properties of a node.
     *
     * @param overrides set last, over everything here (a test's lower transaction.max.timeout.ms, a SASL
     *     listener)
     */
    static Properties of(int port, int controllerPort, Path logDir, int defaultPartitions, Duration startupTimeout,
            Map<String, String> overrides) {
        Properties props = new Properties();
        // Required of every KRaft node; there is no default.
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        // A static voter set keeps the controller endpoint out of the log, so a reused directory
        // still starts when the controller port has changed.
        props.put("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        // Loopback only: nothing outside this machine can reach the broker.
        props.put("listeners", CLIENT_LISTENER + "://" + LOOPBACK + ":" + port
                + "," + CONTROLLER_LISTENER + "://" + LOOPBACK + ":" + controllerPort);
        props.put("advertised.listeners", CLIENT_LISTENER + "://" + LOOPBACK + ":" + port);
        props.put("listener.security.protocol.map",
                CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("inter.broker.listener.name", CLIENT_LISTENER);
        props.put("log.dirs", logDir.toString());

        // Kafka's default is 1 as well; the option lets the `kafka` command ask for more.
        props.put("num.partitions", String.valueOf(defaultPartitions));

        // Internal topics default to 3 replicas (transactions and share groups need 2 in sync), which
        // one node can never hold: consumer groups and transactions would not work at all.
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("offsets.topic.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        props.put("transaction.state.log.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        props.put("share.coordinator.state.topic.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
        // The 3 s default waits for more members to join a new group; a test's or the demo's only
        // consumer would wait for nobody.
        props.put("group.initial.rebalance.delay.ms", "0");

        // Fewer threads and less memory than a production broker: this one shares a JVM. Neither
        // changes what a client sees.
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("background.threads", "2");
        props.put("num.recovery.threads.per.data.dir", "1");
        props.put("log.cleaner.dedupe.buffer.size", String.valueOf(CLEANER_BUFFER_BYTES));

        // Let the broker give up on its own too, rather than wait forever to be unfenced.
        props.put("server.max.startup.time.ms", String.valueOf(startupTimeout.toMillis()));

        props.putAll(overrides);
        return props;
    }
}
