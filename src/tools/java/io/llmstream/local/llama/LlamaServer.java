package io.llmstream.local.llama;

import io.llmstream.local.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real llama.cpp {@code llama-server} on 127.0.0.1, started from a {@link LlamaServerInstall} on a free
 * port and ready to answer when {@link #start} returns. Several may run at once, on the same model or not.
 *
 * <p>Its output goes to a log file, {@code target/llama-server/<alias>-<port>.log} when run from the
 * project's folder (else the temporary folder), whose {@link #logTail() last lines} belong in the message
 * of a failing assertion. {@link #close()} kills it if it still runs, and a shutdown hook does the same if
 * the JVM exits first, so no server outlives the test or benchmark that started it.
 */
public final class LlamaServer implements AutoCloseable {
    /** How long a server may take to answer {@code /health} with 200. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(LlamaServer.class);
    private static final int START_ATTEMPTS = 3;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    private static final HttpClient METRICS_CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final LlamaServerInstall install;
    private final LlamaServerOptions options;
    private final Process process;
    private final int port;
    /** 1 for the first start on this port, 2 after one {@link #restart()}, ... */
    private final int start;
    private final Path log;
    private final Duration startupTime;
    private final Thread killAtExit;

    private LlamaServer(LlamaServerInstall install, LlamaServerOptions options, Process process, int port, int start,
            Path log, Duration startupTime) {
        this.install = install;
        this.options = options;
        this.process = process;
        this.port = port;
        this.start = start;
        this.log = log;
        this.startupTime = startupTime;
        this.killAtExit = new Thread(process::destroyForcibly, "kill llama-server on port " + port);
        Runtime.getRuntime().addShutdownHook(killAtExit);
    }

    /**
     * Starts a server and waits until {@code /health} answers 200. A port another process took in between
     * is tried again on a new one.
     *
     * @throws IllegalStateException if it exits or is not ready within {@link #READY_TIMEOUT}, with the end
     *     of its log
     */
    public static LlamaServer start(LlamaServerInstall install, LlamaServerOptions options)
            throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            int port = Ports.freePort();
            LlamaServer server = tryStart(install, options, port, 1);
            if (server != null) {
                return server;
            }
            Path log = logFile(options.alias(), port, 1);
            String tail = tail(log, 30);
            if (attempt < START_ATTEMPTS && tail.contains("bind")) {
                continue;
            }
            throw notReady(options, port, log);
        }
    }

    /**
     * Starts this server again, after {@link #stop()} or {@link #kill()}, on the same port with the same options,
     * as an operator restarting it would: clients keep their base URL. Its log is a new file, {@code
     * <alias>-<port>-<n>.log} for the n-th start, so what the earlier run logged stays readable.
     *
     * @throws IllegalStateException if it still runs, or if the new one does not become ready (another
     *     process may have taken the port in between)
     */
    public LlamaServer restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("llama-server on port " + port + " still runs; stop or kill it first");
        }
        LlamaServer server = tryStart(install, options, port, start + 1);
        if (server == null) {
            throw notReady(options, port, logFile(options.alias(), port, start + 1));
        }
        return server;
    }

    /** A ready server, or null (the process ended) if it did not become ready in time. */
    private static LlamaServer tryStart(LlamaServerInstall install, LlamaServerOptions options, int port, int start)
            throws IOException, InterruptedException {
        Path log = logFile(options.alias(), port, start);
        long started = System.nanoTime();
        Process process = install.serverProcess(options.arguments(port)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        if (awaitHealthy(process, port, started + READY_TIMEOUT.toNanos())) {
            Duration startup = Duration.ofNanos(System.nanoTime() - started);
            LOG.info("llama-server '{}' ready on port {} in {} ms ({}; log {})", options.alias(), port,
                    startup.toMillis(), options, log);
            return new LlamaServer(install, options, process, port, start, log, startup);
        }
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return null;
    }

    private static IllegalStateException notReady(LlamaServerOptions options, int port, Path log) {
        return new IllegalStateException("llama-server '" + options.alias() + "' did not become ready on port "
                + port + " within " + READY_TIMEOUT.toSeconds() + " s (" + options + "); the end of its log "
                + log + ":\n" + tail(log, 30));
    }

    /** The OpenAI-compatible base URL, {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return serverUrl() + "/v1";
    }

    /** The server's own root, where {@code /health}, {@code /metrics} and {@code /props} answer. */
    public String serverUrl() {
        return "http://" + Ports.LOOPBACK + ":" + port;
    }

    public int port() {
        return port;
    }

    /** From starting the process to the first {@code /health} that answered 200. */
    public Duration startupTime() {
        return startupTime;
    }

    public Path logFile() {
        return log;
    }

    /** The last 30 lines of the log, for a failure message. */
    public String logTail() {
        return tail(log, 30);
    }

    /**
     * How many tasks the server has taken into a slot, counted from its log: one per chat request, one per input
     * of an embeddings request. llama-server has no request counter; a request given up while it still waited
     * for a slot is not counted (the client's attempt count shows it).
     */
    public long tasksStarted() throws IOException {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(line -> line.contains("| processing task")).count();
        }
    }

    /**
     * The value of one of the server's Prometheus metrics, such as {@code llamacpp:tokens_predicted_total};
     * it needs {@link LlamaServerOptions#withMetrics metrics} on.
     *
     * @throws IllegalStateException if {@code /metrics} does not answer 200 or has no such metric
     */
    public double metric(String name) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(serverUrl() + "/metrics"))
                .timeout(Duration.ofSeconds(10));
        options.apiKey().ifPresent(key -> request.header("Authorization", "Bearer " + key));
        HttpResponse<String> metrics = METRICS_CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (metrics.statusCode() != 200) {
            throw new IllegalStateException(this + ": /metrics answered " + metrics.statusCode() + ": "
                    + metrics.body());
        }
        return metrics.body().lines().filter(line -> line.startsWith(name + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(name.length() + 1).trim()))
                .orElseThrow(() -> new IllegalStateException(this + ": /metrics has no " + name));
    }

    /** CPU time the server process has used so far, user and system; zero where the OS does not tell. */
    public Duration cpuTime() {
        return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Ends the server as an operator would (SIGTERM) and waits for it; kills it if it does not end in 10 s. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("llama-server on port {} ignored SIGTERM for {} s; killing it", port, STOP_TIMEOUT.toSeconds());
            kill();
        }
    }

    /** Ends the server at once (SIGKILL), as a crash would, and waits for it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Kills the server if it still runs. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killAtExit);
        } catch (IllegalStateException alreadyExiting) {
            // The JVM is shutting down; the hook runs anyway and finds the process gone.
        }
    }

    private static boolean awaitHealthy(Process process, int port, long deadline) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://" + Ports.LOOPBACK + ":" + port + "/health"))
                .timeout(Duration.ofSeconds(2)).build();
        while (process.isAlive() && System.nanoTime() < deadline) {
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return true;
                }
            } catch (IOException notListeningYet) {
                // Polled again below until the deadline.
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
        return false;
    }

    private static Path logFile(String alias, int port, int start) throws IOException {
        Path target = Path.of("target");
        Path dir = Files.isDirectory(target) ? target.resolve("llama-server")
                : Path.of(System.getProperty("java.io.tmpdir"), "llama-server");
        Files.createDirectories(dir);
        return dir.resolve(alias.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + port + (start == 1 ? "" : "-" + start)
                + ".log");
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(all.size() - lines, 0), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return "llama-server on port " + port + " (log " + log + ")";
    }
}
