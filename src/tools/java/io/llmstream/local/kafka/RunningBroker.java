package io.llmstream.local.kafka;

import io.llmstream.local.Ports;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static io.llmstream.local.Ports.LOOPBACK;

/**
 * One started broker and what it holds: the Kafka server, an admin client on it and its log
 * directory. Starting is all or nothing: whatever a failed start got going is stopped again.
 */
final class RunningBroker {

    private static final Logger LOG = LoggerFactory.getLogger(RunningBroker.class);

    private static final Duration ADMIN_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    final KafkaRaftServer server;
    final Admin admin;
    final LogDirectory directory;
    final int port;

    private RunningBroker(KafkaRaftServer server, Admin admin, LogDirectory directory, int port) {
        this.server = server;
        this.admin = admin;
        this.directory = directory;
        this.port = port;
    }

    /** One attempt: pick ports, format if needed, start, and wait until clients get answers. */
    static RunningBroker start(EmbeddedKafkaBroker.Options options, Duration timeout) {
        int port = options.port() == 0 ? Ports.freePort() : options.port();
        int controllerPort = Ports.freePort();
        while (controllerPort == port) {
            controllerPort = Ports.freePort();
        }
        LogDirectory directory = options.directory() == null
                ? LogDirectory.temporary()
                : LogDirectory.kept(options.directory());
        String where = LOOPBACK + ":" + port + " (data in " + directory + ")";
        Deadline deadline = Deadline.after(timeout);

        KafkaExitGuard.acquire();
        KafkaRaftServer server = null;
        Admin admin = null;
        try {
            if (!directory.formatIfNeeded()) {
                LOG.debug("Reusing the formatted Kafka log directory {}", directory);
            }
            KafkaConfig config = KafkaConfig.fromProps(BrokerProperties.of(
                    port, controllerPort, directory.path(), options.defaultPartitions(), timeout,
                    options.serverProperties()), false);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            awaitStartup(server, deadline, where);
            Map<String, Object> adminConfig = new HashMap<>(options.clientProperties());
            adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LOOPBACK + ":" + port);
            adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "llmstream-embedded-kafka");
            admin = Admin.create(adminConfig);
            awaitClients(admin, deadline, where);
        } catch (RuntimeException | Error e) {
            stop(admin, server, directory);
            throw e;
        }
        return new RunningBroker(server, admin, directory, port);
    }

    /** Whether a start failed only because a port was taken, so that other ports may work. */
    static boolean failedToBind(RuntimeException failure) {
        return rootCause(failure) instanceof BindException;
    }

    /** Shuts down cleanly, never throws; every step runs even if one before it failed. */
    void stop() {
        stop(admin, server, directory);
    }

    private static void awaitStartup(KafkaRaftServer server, Deadline deadline, String where) {
        CompletableFuture<Void> started = new CompletableFuture<>();
        // On its own thread, so that a broker that hangs while starting cannot hang the caller.
        Thread starter = new Thread(() -> {
            try {
                server.startup();
                started.complete(null);
            } catch (Throwable t) {
                started.completeExceptionally(t);
            }
        }, "embedded-kafka-startup");
        starter.setDaemon(true);
        starter.start();
        try {
            deadline.await(started, "the Kafka broker on " + where + " to start");
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "Kafka broker failed to start on " + where + ": " + describe(e.getCause()), e.getCause());
        }
    }

    private static void awaitClients(Admin admin, Deadline deadline, String where) {
        // The admin client retries by itself until its timeout, so one call is enough.
        DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs(deadline.remainingMillis());
        try {
            deadline.await(admin.describeCluster(options).nodes(),
                    "the Kafka broker on " + where + " to answer clients");
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka broker started on " + where + " but does not answer clients: "
                    + describe(e.getCause()), e.getCause());
        }
    }

    private static void stop(Admin admin, KafkaRaftServer server, LogDirectory directory) {
        try {
            if (admin != null) {
                admin.close(ADMIN_CLOSE_TIMEOUT);
            }
        } catch (RuntimeException e) {
            LOG.warn("Closing the embedded Kafka admin client failed", e);
        }
        try {
            if (server != null) {
                server.shutdown();
                server.awaitShutdown();
            }
        } catch (RuntimeException e) {
            LOG.warn("Shutting down the embedded Kafka broker failed", e);
        } finally {
            KafkaExitGuard.release();
        }
        try {
            directory.deleteIfTemporary();
        } catch (RuntimeException e) {
            LOG.warn("Deleting the embedded Kafka log directory {} failed", directory, e);
        }
    }

    /** The failure and, if different, its root cause: Kafka wraps a taken port three times. */
    private static String describe(Throwable failure) {
        Throwable root = rootCause(failure);
        return root == failure ? String.valueOf(failure) : failure + " (root cause: " + root + ")";
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }
}
