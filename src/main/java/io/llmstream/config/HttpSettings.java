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
            .defaultValue(100).mustBe(v -> v > 0, "> 0")
            .withDescription("Requests in flight at once per TaskManager, each on its own keep-alive "
                    + "connection; more wait for a free one without holding a thread.");
    public static final Option<Duration> CONNECT_TIMEOUT = Option.key("connect-timeout").durationType()
            .defaultValue(Duration.ofSeconds(5)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("TCP and TLS connect timeout.");
    public static final Option<Duration> POOLED_IDLE_TIMEOUT = Option.key("pooled-idle-timeout").durationType()
            .defaultValue(Duration.ofSeconds(60)).mustBe(v -> v.toMillis() > 0, "> 0")
            .withDescription("How long an idle keep-alive connection stays in the pool.");
    public static final Option<Integer> IO_THREADS = Option.key("io-threads").intType().defaultValue(2)
            .mustBe(v -> v > 0 && v <= 64, "between 1 and 64")
            .withDescription("Event-loop threads of the shared client.");

    static HttpSettings read(ConfigSection section) {
        return new HttpSettings(section.get(MAX_CONNECTIONS),
                section.get(CONNECT_TIMEOUT), section.get(POOLED_IDLE_TIMEOUT), section.get(IO_THREADS));
    }
}
