package io.llmstream.call;

import io.llmstream.config.HttpSettings;
import org.asynchttpclient.AsyncCompletionHandlerBase;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.DefaultAsyncHttpClientConfig;
import org.asynchttpclient.Dsl;
import org.asynchttpclient.Request;
import org.asynchttpclient.Response;
import org.asynchttpclient.netty.request.NettyRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * One non-blocking HTTP client per TaskManager (per job class loader), shared by
 * every parallel instance of the call stage, so the keep-alive pool is shared and sized once. Leases
 * are counted; the last one to close shuts the client down.
 */
public final class SharedHttpClient {
    private static final Logger LOG = LoggerFactory.getLogger(SharedHttpClient.class);
    private static final Map<HttpSettings, Shared> SHARED = new HashMap<>();

    private SharedHttpClient() {}

    /** A lease on the shared client for these settings; close it when done. */
    public static synchronized Lease acquire(HttpSettings settings) {
        Shared shared = SHARED.computeIfAbsent(settings, Shared::new);
        shared.leases++;
        return new Lease(settings, shared);
    }

    private static synchronized void release(HttpSettings settings, Shared shared) {
        if (--shared.leases == 0) {
            SHARED.remove(settings);
            shared.close();
        }
    }

    /** Access to the shared client and timer. */
    public static final class Lease implements AutoCloseable {
        private final HttpSettings settings;
        private final Shared shared;
        private boolean closed;

        private Lease(HttpSettings settings, Shared shared) {
            this.settings = settings;
            this.shared = shared;
        }

        /**
         * Sends a request once a connection is free. The pool's own limit would block the calling thread
         * while it waits, so requests beyond {@code http.max-connections} queue here instead, without a thread.
         *
         * @param onSent called with the epoch microseconds at which the request goes on the wire, after any
         *     connection set-up: the instant the provider's rate limiter sees it
         */
        public CompletableFuture<Response> execute(Request request, LongConsumer onSent) {
            CompletableFuture<Response> response = new CompletableFuture<>();
            AsyncCompletionHandlerBase handler = new AsyncCompletionHandlerBase() {
                @Override
                public void onRequestSend(NettyRequest sent) {
                    onSent.accept(System.currentTimeMillis() * 1000);
                }
            };
            shared.gate.submit(() -> {
                try {
                    shared.client.executeRequest(request, handler).toCompletableFuture().whenComplete((result, failure) -> {
                        shared.gate.release();
                        if (failure != null) {
                            response.completeExceptionally(failure);
                        } else {
                            response.complete(result);
                        }
                    });
                } catch (RuntimeException e) {
                    shared.gate.release();
                    response.completeExceptionally(e);
                }
            });
            return response;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(settings, shared);
            }
        }
    }

    private static final class Shared {
        final AsyncHttpClient client;
        final ConnectionGate gate;
        int leases;

        Shared(HttpSettings settings) {
            DefaultAsyncHttpClientConfig.Builder config = Dsl.config()
                    .setMaxConnections(settings.maxConnections())
                    .setMaxConnectionsPerHost(settings.maxConnections())
                    .setConnectTimeout(settings.connectTimeout())
                    .setPooledConnectionIdleTimeout(settings.pooledIdleTimeout())
                    .setKeepAlive(true)
                    .setTcpNoDelay(true)
                    .setFollowRedirect(false)
                    .setMaxRequestRetry(0)
                    .setIoThreadsCount(settings.ioThreads())
                    .setThreadPoolName("llmstream-http")
                    .setUseNativeTransport(false);
            client = Dsl.asyncHttpClient(config);
            gate = new ConnectionGate(settings.maxConnections());
            LOG.info("Started the shared HTTP client: {} connections, connect timeout {}",
                    settings.maxConnections(), settings.connectTimeout());
        }

        void close() {
            try {
                client.close();
            } catch (IOException e) {
                LOG.warn("Closing the shared HTTP client failed", e);
            }
        }
    }
}
