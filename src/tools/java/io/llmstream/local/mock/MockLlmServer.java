package io.llmstream.local.mock;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An OpenAI-compatible LLM server for demos, tests and benchmarks: deterministic answers
 * ({@link MockAnswers}), whole or streamed as server-sent events like OpenAI's, rate limits enforced
 * like a provider's, optionally a fixed number of slots with a queue like a self-hosted server's
 * ({@link MockSlots}), seeded latency and faults, and scripted failures carried in the prompt
 * ({@link MockDirectives}); also OpenAI's Batch API, its files kept in memory ({@link MockBatches}).
 * Built on Netty; nothing blocks an event loop, delays and the chunks of a
 * stream are scheduled on it. Answers on one connection may leave out of order when
 * their latencies differ, so clients must not pipeline requests (the JDK client and
 * async-http-client do not).
 *
 * <pre>{@code
 * try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).rpm(600).build())) {
 *     String baseUrl = server.baseUrl();   // http://127.0.0.1:<port>/v1
 *     ...
 *     MockStats stats = server.stats();
 * }
 * }</pre>
 */
public final class MockLlmServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MockLlmServer.class);
    /** How often {@link #runUntilInterrupted} prints a stats line. */
    static final Duration SUMMARY_INTERVAL = Duration.ofSeconds(10);
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final MockOptions options;
    private final MockRuntime runtime;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels = new DefaultChannelGroup("mock-llm", GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int port;

    private MockLlmServer(MockOptions options) {
        MockWarmUp.once(options);
        this.options = options;
        this.runtime = new MockRuntime(options, System::nanoTime);
        this.bossGroup = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("mock-llm-accept", true), NioIoHandler.newFactory());
        this.workerGroup = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("mock-llm-io", true), NioIoHandler.newFactory());
        MockRequestHandler handler = new MockRequestHandler(runtime);
        try {
            Channel server = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            channels.add(ch);
                            ch.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                                    .addLast(handler);
                        }
                    })
                    .bind(options.host(), options.port())
                    .syncUninterruptibly()
                    .channel();
            channels.add(server);
            this.port = ((InetSocketAddress) server.localAddress()).getPort();
        } catch (Exception e) {
            shutDownGroups();
            throw new IllegalStateException("mock-llm cannot listen on " + options.host() + ":" + options.port()
                    + ": " + e.getMessage() + "; pick another --port, or 0 for a free one", e);
        }
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MockLlmServer start(MockOptions options) {
        MockLlmServer server = new MockLlmServer(options);
        LOG.info("mock-llm listening on {} with {}", server.baseUrl(), options);
        return server;
    }

    /** The OpenAI base URL of this server, e.g. {@code http://127.0.0.1:8089/v1}. */
    public String baseUrl() {
        String host = options.host().contains(":") && !options.host().startsWith("[")
                ? "[" + options.host() + "]"
                : options.host();
        return "http://" + host + ":" + port + "/v1";
    }

    /** The bound port, also when the options asked for 0. */
    public int port() {
        return port;
    }

    public MockOptions options() {
        return options;
    }

    /** A snapshot of the counters. */
    public MockStats stats() {
        return runtime.stats();
    }

    /** Zeroes the counters; rate-limit buckets and directive progress are kept. */
    public void resetStats() {
        runtime.counters.clear();
    }

    /** The fingerprint under which stats and logs name a key: {@code key-} and 8 hex digits of its SHA-256. */
    public static String keyFingerprint(String apiKey) {
        return MockAuth.fingerprint(apiKey);
    }

    /** Closes every connection, hanging ones included, and stops the event loops. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            channels.close().awaitUninterruptibly();
            shutDownGroups();
            LOG.info("mock-llm on port {} stopped: {}", port, stats().summary());
        }
    }

    private void shutDownGroups() {
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * Serves until the thread is interrupted or the JVM is asked to stop (Ctrl-C), printing
     * {@code mock-llm listening on http://HOST:PORT/v1} and then a stats line every 10 s.
     */
    public static void runUntilInterrupted(MockOptions options, PrintStream out) throws InterruptedException {
        runUntilInterrupted(options, out, SUMMARY_INTERVAL);
    }

    static void runUntilInterrupted(MockOptions options, PrintStream out, Duration summaryEvery)
            throws InterruptedException {
        MockLlmServer server = start(options);
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                // Let the serving thread close the server and print its last line before the JVM exits.
                stopped.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mock-llm-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("mock-llm listening on " + server.baseUrl());
        out.flush();
        try {
            while (!stopRequested.await(summaryEvery.toMillis(), TimeUnit.MILLISECONDS)) {
                out.println("mock-llm " + server.stats().summary());
                out.flush();
            }
        } finally {
            server.close();
            out.println("mock-llm stopped: " + server.stats().summary());
            out.flush();
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // The hook is running; it returns as soon as it sees the latch.
            }
        }
    }

    /** {@code mock-llm [flags]}: see {@link MockOptions#usage()}. Exits with 2 on a bad flag. */
    public static void main(String[] args) throws InterruptedException {
        MockOptions options;
        try {
            options = MockOptions.parseArgs(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("mock-llm: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.helpRequested()) {
            System.out.print(MockOptions.usage());
            return;
        }
        runUntilInterrupted(options, System.out);
    }
}
