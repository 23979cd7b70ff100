package io.llmstream.kafka;

import io.llmstream.config.ConfigException;
import io.llmstream.config.Durations;
import io.llmstream.config.KafkaSettings;
import io.llmstream.config.LlmStreamConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Asks the brokers, before the job is submitted, what would otherwise fail it over and over once it runs:
 * whether they answer and accept the credentials, whether the topics exist, whether they allow transactions
 * as long as kafka.transaction-timeout, and how large a record the output topics take. Everything happens
 * within kafka.startup-timeout, so an unreachable broker is reported in seconds with its address instead of
 * never. The verdicts are {@link KafkaStartupRules}'.
 */
public final class KafkaStartupCheck {
    static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    static final String AUTO_CREATE_TOPICS = "auto.create.topics.enable";
    static final String MESSAGE_MAX_BYTES = "message.max.bytes";
    static final String MAX_MESSAGE_BYTES = "max.message.bytes";

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);
    /** Kept from the timeout for {@link BootstrapProbe} to say why Kafka did not answer. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final KafkaSettings kafka;
    private final long deadlineNanos;

    private KafkaStartupCheck(KafkaSettings kafka) {
        this.kafka = kafka;
        Duration timeout = kafka.startupTimeout();
        Duration kept = timeout.compareTo(PROBE_TIMEOUT.multipliedBy(2)) >= 0 ? PROBE_TIMEOUT : Duration.ZERO;
        this.deadlineNanos = System.nanoTime() + timeout.minus(kept).toNanos();
    }

    /**
     * Checks Kafka for the job, unless kafka.startup-timeout is 0.
     *
     * @param notes receives one line for each thing worth knowing that does not stop the start
     * @return the configuration to run with: the given one, or one whose records fit the output topics
     * @throws KafkaStartupException if the job cannot work against these brokers
     */
    public static LlmStreamConfig run(LlmStreamConfig config, Consumer<String> notes) {
        if (config.kafka().startupTimeout().isZero()) {
            notes.accept("Kafka not checked before the start (kafka.startup-timeout: 0)");
            return config;
        }
        KafkaClusterFacts facts = new KafkaStartupCheck(config.kafka()).gather();
        return KafkaStartupRules.apply(config, facts, notes);
    }

    private KafkaClusterFacts gather() {
        Admin admin = createAdmin();
        try {
            Collection<Node> nodes = await(admin.describeCluster(
                    new DescribeClusterOptions().timeoutMs(remainingMillis())).nodes());
            Set<String> topics = new LinkedHashSet<>(List.of(kafka.topics().input(), kafka.topics().output(),
                    kafka.topics().deadLetter(), kafka.topics().metrics()));
            if (kafka.topics().usage() != null) {
                topics.add(kafka.topics().usage());
            }
            Set<String> missing = missingTopics(admin, topics);
            return describeConfigs(admin, nodes, topics, missing);
        } finally {
            admin.close(CLOSE_TIMEOUT);
        }
    }

    private Admin createAdmin() {
        Map<String, Object> properties = new HashMap<>(kafka.properties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "llmstream-startup-check");
        try {
            return Admin.create(properties);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ConfigException("kafka.properties do not make a valid Kafka client: " + e.getMessage());
        } catch (KafkaException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new KafkaStartupException("cannot reach Kafka at " + kafka.bootstrapServers()
                    + " (kafka.bootstrap-servers): " + cause.getMessage(), e);
        }
    }

    private Set<String> missingTopics(Admin admin, Set<String> topics) {
        Set<String> missing = new LinkedHashSet<>();
        var descriptions = admin.describeTopics(topics, new DescribeTopicsOptions().timeoutMs(remainingMillis()))
                .topicNameValues();
        for (String topic : topics) {
            try {
                await(descriptions.get(topic));
            } catch (KafkaStartupException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    missing.add(topic);
                } else if (e.getCause() instanceof AuthorizationException) {
                    throw new KafkaStartupException("Kafka at " + kafka.bootstrapServers() + " denies the user "
                            + "access to the topic '" + topic + "': " + e.getCause().getMessage()
                            + " (check the ACLs of the user in kafka.properties sasl.jaas.config)", e.getCause());
                } else {
                    throw e;
                }
            }
        }
        return missing;
    }

    /** The brokers' settings and the output topics' max.message.bytes, in one request. */
    private KafkaClusterFacts describeConfigs(Admin admin, Collection<Node> nodes, Set<String> topics,
            Set<String> missing) {
        Map<ConfigResource, Node> brokers = new HashMap<>();
        List<ConfigResource> resources = new ArrayList<>();
        for (Node node : nodes) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
            brokers.put(resource, node);
            resources.add(resource);
        }
        for (String topic : topics) {
            if (!missing.contains(topic) && !topic.equals(kafka.topics().input())) {
                resources.add(new ConfigResource(ConfigResource.Type.TOPIC, topic));
            }
        }
        var configs = admin.describeConfigs(resources, new DescribeConfigsOptions().timeoutMs(remainingMillis()))
                .values();
        Map<String, Integer> maxMessageBytes = new HashMap<>();
        KafkaClusterFacts.BrokerConfig strictest = null;
        String brokerUnreadable = "";
        for (ConfigResource resource : resources) {
            Config config;
            try {
                config = await(configs.get(resource));
            } catch (KafkaStartupException e) {
                if (!(e.getCause() instanceof AuthorizationException)) {
                    throw e;
                }
                if (resource.type() == ConfigResource.Type.BROKER) {
                    brokerUnreadable = "describing the brokers' configuration is not authorized ("
                            + e.getCause().getMessage() + ")";
                }
                continue;
            }
            if (resource.type() == ConfigResource.Type.TOPIC) {
                integer(config, MAX_MESSAGE_BYTES).ifPresent(bytes -> maxMessageBytes.put(resource.name(), bytes));
            } else {
                strictest = stricter(strictest, brokerConfig(brokers.get(resource), config));
            }
        }
        Optional<KafkaClusterFacts.BrokerConfig> broker = brokerUnreadable.isEmpty()
                ? Optional.ofNullable(strictest) : Optional.empty();
        if (broker.isEmpty() && brokerUnreadable.isEmpty()) {
            brokerUnreadable = "no broker described its configuration";
        }
        return new KafkaClusterFacts(kafka.bootstrapServers(), missing, maxMessageBytes, broker, brokerUnreadable);
    }

    private static KafkaClusterFacts.BrokerConfig brokerConfig(Node node, Config config) {
        return new KafkaClusterFacts.BrokerConfig(node.host() + ":" + node.port(),
                integer(config, TRANSACTION_MAX_TIMEOUT_MS).map(Integer::longValue).orElse(Long.MAX_VALUE),
                !"false".equalsIgnoreCase(value(config, AUTO_CREATE_TOPICS).orElse("true")),
                integer(config, MESSAGE_MAX_BYTES).orElse(Integer.MAX_VALUE));
    }

    /** Over several brokers: the lowest limits, and auto-creation only if all of them do it. */
    private static KafkaClusterFacts.BrokerConfig stricter(KafkaClusterFacts.BrokerConfig a,
            KafkaClusterFacts.BrokerConfig b) {
        if (a == null) {
            return b;
        }
        KafkaClusterFacts.BrokerConfig lowerTimeout = a.transactionMaxTimeoutMs() <= b.transactionMaxTimeoutMs() ? a : b;
        return new KafkaClusterFacts.BrokerConfig(lowerTimeout.address(), lowerTimeout.transactionMaxTimeoutMs(),
                a.autoCreateTopics() && b.autoCreateTopics(), Math.min(a.messageMaxBytes(), b.messageMaxBytes()));
    }

    private static Optional<String> value(Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry == null || entry.value() == null ? Optional.empty() : Optional.of(entry.value().trim());
    }

    private static Optional<Integer> integer(Config config, String name) {
        try {
            return value(config, name).map(Integer::valueOf);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The future's value within the deadline. Failures become one-line {@link KafkaStartupException}s whose
     * cause is Kafka's exception, so callers can still tell a missing topic from a refusal.
     */
    private <T> T await(KafkaFuture<T> future) {
        try {
            return future.get(remainingMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaStartupException("interrupted while checking Kafka at " + kafka.bootstrapServers(), e);
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException) {
                throw new KafkaStartupException("Kafka at " + kafka.bootstrapServers() + " refused authentication: "
                        + cause.getMessage() + " (check kafka.properties security.protocol and sasl.*)", cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(cause);
            }
            throw new KafkaStartupException("Kafka at " + kafka.bootstrapServers() + " failed the start-up check: "
                    + cause, cause);
        }
    }

    private KafkaStartupException unreachable(Throwable cause) {
        String why = BootstrapProbe.explain(kafka.bootstrapServers(), PROBE_TIMEOUT);
        return new KafkaStartupException("cannot reach Kafka at " + kafka.bootstrapServers()
                + " (kafka.bootstrap-servers) within " + Durations.format(kafka.startupTimeout()) + ": " + why, cause);
    }

    private int remainingMillis() {
        long millis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }
}
