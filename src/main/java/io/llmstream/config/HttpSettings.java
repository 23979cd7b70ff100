package io.llmstream.config;

import java.io.Serializable;
import java.time.Duration;

/** The shared HTTP client of a TaskManager: its connection pool and socket timeouts. */
public record HttpSettings(
        int maxConnections,
        Duration connectTimeout,
        Duration pooledIdleTimeout,
        int ioThreads) implements Serializable {

    public static final Option<Integer> MAX_CONNECTIONS = Option.key("max-connections").intType()
            .noDefaultValue().mustBe(v -> v > 0, "> 0")
            .withDescription("Requests in flight at once per TaskManager, each on its own keep-alive "
                    + "connection; more wait for a free one without holding a thread. Absent (the default): "
                    + "call.capacity for every parallel instance of the call stage in the TaskManager, so "
                    + "the capacity is never capped by the pool.");
    public static final Option<Duration> CONNECT_TIMEOUT = Option.key("connect-timeout").durationType()
            .defaultValue(Duration.ofSeconds(5)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("TCP and TLS connect timeout.");
    public static final Option<Duration> POOLED_IDLE_TIMEOUT = Option.key("pooled-idle-timeout").durationType()
            .defaultValue(Duration.ofSeconds(60)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("How long an idle keep-alive connection stays in the pool.");
    public static final Option<Integer> IO_THREADS = Option.key("io-threads").intType().defaultValue(2)
            .mustBe(v -> v > 0 && v <= 64, "between 1 and 64")
            .withDescription("Event-loop threads of the shared client.");

    /** {@link #maxConnections()} when the pool follows the call stage's capacity. */
    public static final int FOLLOW_CAPACITY = 0;

    /** Whether the pool is sized by the call stages that use it rather than by a fixed number. */
    public boolean followsCapacity() {
        return maxConnections == FOLLOW_CAPACITY;
    }

    static HttpSettings read(ConfigSection section) {
        Integer maxConnections = section.get(MAX_CONNECTIONS);
        return new HttpSettings(maxConnections == null ? FOLLOW_CAPACITY : maxConnections,
                section.get(CONNECT_TIMEOUT), section.get(POOLED_IDLE_TIMEOUT), section.get(IO_THREADS));
    }
}
