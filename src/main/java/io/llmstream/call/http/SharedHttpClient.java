package io.llmstream.call.http;

import io.llmstream.config.HttpSettings;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timer;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.DefaultAsyncHttpClientConfig;
import org.asynchttpclient.Dsl;
import org.asynchttpclient.ListenableFuture;
import org.asynchttpclient.Request;
import org.asynchttpclient.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One non-blocking HTTP client per TaskManager (per job class loader), shared by every parallel instance
 * of the call stage, so the keep-alive pool is shared. It holds no job state: only connections, the
 * event loop and a timer for the attempts' watchdogs. Leases are counted; the last one to close shuts
 * the client down.
 *
 * <p>The pool follows the capacity: each lease brings the capacity of its call-stage instance, and as
 * many requests may be in flight as the leases bring together, so {@code call.capacity} means what it
 * says however many slots the TaskManager has. A fixed {@code http.max-connections} caps it instead, and
 * a WARN line names both keys when the cap is below what the call stages ask for.
 */
public final class SharedHttpClient {
    private static final Logger LOG = LoggerFactory.getLogger(SharedHttpClient.class);
    private static final Map<HttpSettings, Shared> SHARED = new HashMap<>();

    private SharedHttpClient() {}

    /**
     * A lease on the shared client for these settings; close it when done.
     *
     * @param capacity the requests the leasing call-stage instance may have in flight at once
     */
    public static synchronized Lease acquire(HttpSettings settings, int capacity) {
        Shared shared = SHARED.computeIfAbsent(settings, Shared::new);
        shared.lease(capacity);
        return new Lease(settings, shared, capacity);
    }

    private static synchronized void release(HttpSettings settings, Shared shared, int capacity) {
        if (shared.release(capacity)) {
            SHARED.remove(settings);
            shared.close();
        }
    }

    /** Access to the shared client and timer. */
    public static final class Lease implements AutoCloseable {
        private final HttpSettings settings;
        private final Shared shared;
        private final int capacity;
        private boolean closed;

        private Lease(HttpSettings settings, Shared shared, int capacity) {
            this.settings = settings;
            this.shared = shared;
            this.capacity = capacity;
        }

        /**
         * Sends an attempt once a connection is free. The pool's own limit would block the calling thread
         * while it waits, so requests beyond the limit queue here instead, without a thread. An attempt
         * withdrawn while it queues is never sent.
         */
        public void send(Request request, AttemptExchange exchange) {
            shared.gate.submit(() -> {
                if (exchange.isCancelled()) {
                    shared.gate.release();
                    exchange.onThrowable(new AttemptExchange.AttemptCancelledException());
                    return;
                }
                try {
                    ListenableFuture<AttemptOutcome> future = shared.client.executeRequest(request, exchange);
                    future.addListener(shared.gate::release, Runnable::run);
                    exchange.attach(future);
                } catch (RuntimeException e) {
                    shared.gate.release();
                    exchange.onThrowable(e);
                }
            });
        }

        /**
         * Sends a request that is not an attempt of a prompt (the Batch API's files and batches), once a
         * connection is free, and completes with its whole response.
         */
        public CompletableFuture<Response> execute(Request request) {
            CompletableFuture<Response> response = new CompletableFuture<>();
            shared.gate.submit(() -> {
                try {
                    shared.client.executeRequest(request).toCompletableFuture().whenComplete((done, failure) -> {
                        shared.gate.release();
                        if (failure != null) {
                            response.completeExceptionally(failure);
                        } else {
                            response.complete(done);
                        }
                    });
                } catch (RuntimeException e) {
                    shared.gate.release();
                    response.completeExceptionally(e);
                }
            });
            return response;
        }

        /**
         * An attempt failed on a reused connection its server had closed unannounced: the server's connections
         * are no longer reused after streamed answers.
         */
        public void serverClosedUnannounced(AttemptExchange exchange) {
            shared.reuse.closesAfterStreams(exchange.remoteAddress());
        }

        /** The timer of the attempts' watchdogs. */
        public Timer timer() {
            return shared.timer;
        }

        /** Requests in flight at most at once through this client now. */
        public int permits() {
            return shared.gate.permits();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(settings, shared, capacity);
            }
        }
    }

    /** Linux's epoll where Netty's native library loads (Linux on x86-64), Java's NIO elsewhere. */
    private static final boolean EPOLL = epollAvailable();

    private static boolean epollAvailable() {
        try {
            return io.netty.channel.epoll.Epoll.isAvailable();
        } catch (LinkageError missing) {
            return false;
        }
    }

    /** The HTTP client's configuration: epoll sockets or Java's NIO. */
    static DefaultAsyncHttpClientConfig.Builder clientConfig(HttpSettings settings, boolean epoll) {
        return clientConfig(settings, epoll, new ConnectionReuse());
    }

    private static DefaultAsyncHttpClientConfig.Builder clientConfig(HttpSettings settings, boolean epoll,
            ConnectionReuse reuse) {
        int maxConnections = settings.followsCapacity() ? -1 : settings.maxConnections();
        return Dsl.config()
                .setMaxConnections(maxConnections)
                .setMaxConnectionsPerHost(maxConnections)
                .setConnectTimeout(settings.connectTimeout())
                .setPooledConnectionIdleTimeout(settings.pooledIdleTimeout())
                .setKeepAlive(true)
                .setKeepAliveStrategy(reuse)
                // Requests never ask for a compressed answer (no Accept-Encoding), so no inflater
                // needs to look at every piece of every answer.
                .setEnableAutomaticDecompression(false)
                .setTcpNoDelay(true)
                .setFollowRedirect(false)
                .setMaxRequestRetry(0)
                .setIoThreadsCount(settings.ioThreads())
                .setThreadPoolName("llmstream-http")
                .setUseNativeTransport(epoll)
                .setUseOnlyEpollNativeTransport(epoll);
    }

    private static final class Shared {
        final HttpSettings settings;
        final AsyncHttpClient client;
        final ConnectionGate gate;
        final HashedWheelTimer timer;
        final ConnectionReuse reuse = new ConnectionReuse();
        int leases;
        int leasedCapacity;
        boolean warned;

        Shared(HttpSettings settings) {
            this.settings = settings;
            DefaultAsyncHttpClientConfig.Builder config = clientConfig(settings, EPOLL, reuse);
            client = Dsl.asyncHttpClient(config);
            gate = new ConnectionGate(settings.followsCapacity() ? 0 : settings.maxConnections());
            timer = new HashedWheelTimer(runnable -> {
                Thread thread = new Thread(runnable, "llmstream-http-watchdog");
                thread.setDaemon(true);
                return thread;
            }, 10, TimeUnit.MILLISECONDS);
            LOG.info("Started the shared HTTP client: {}, connect timeout {}, {} sockets", settings.followsCapacity()
                    ? "connections follow call.capacity" : settings.maxConnections() + " connections",
                    settings.connectTimeout(), EPOLL ? "epoll" : "NIO");
        }

        void lease(int capacity) {
            leases++;
            leasedCapacity += capacity;
            if (settings.followsCapacity()) {
                gate.addPermits(capacity);
            } else if (leasedCapacity > settings.maxConnections() && !warned) {
                warned = true;
                LOG.warn("http.max-connections ({}) caps the requests in flight in this TaskManager below what its "
                        + "call-stage instances ask for (call.capacity {} each, {} in all): leave "
                        + "http.max-connections unset to follow call.capacity", settings.maxConnections(), capacity,
                        leasedCapacity);
            }
        }

        /** Returns true when this was the last lease. */
        boolean release(int capacity) {
            leasedCapacity -= capacity;
            if (settings.followsCapacity()) {
                gate.addPermits(-capacity);
            }
            return --leases == 0;
        }

        void close() {
            timer.stop();
            try {
                client.close();
            } catch (IOException e) {
                LOG.warn("Closing the shared HTTP client failed", e);
            }
        }
    }
}
