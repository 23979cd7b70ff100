package io.llmstream.observe;

import java.util.Map;
import java.util.Objects;

/**
 * Where the job writes its metrics.
 *
 * @param clientProperties passed to the consumer first ({@code security.protocol}, {@code sasl.*}, ...), as
 *     the job passes {@code kafka.properties} to every client
 */
public record MetricsTopic(String bootstrapServers, String topic, Map<String, String> clientProperties) {
    public MetricsTopic {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        clientProperties = Map.copyOf(clientProperties);
    }

    /** Shows property names only: their values may hold passwords ({@code sasl.jaas.config}). */
    @Override
    public String toString() {
        return "topic " + topic + " on " + bootstrapServers
                + (clientProperties.isEmpty() ? "" : " with properties " + clientProperties.keySet());
    }
}
