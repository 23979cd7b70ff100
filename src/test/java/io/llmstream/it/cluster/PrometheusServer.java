package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.Ports;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, or any on the PATH) on loopback, with the
 * parts of its HTTP API a check needs: instant queries, series, targets and rules.
 */
public final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final URI base;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    private PrometheusServer(Process process, URI base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /** An executable of this name on the PATH, if there is one. */
    public static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Starts {@code prometheus} with a configuration file, its data in {@code dir}/data and its output in
     * {@code dir}/prometheus.log, and waits until it is ready.
     */
    public static PrometheusServer start(Path binary, Path config, Path dir) throws IOException, InterruptedException {
        int port = Ports.freePort();
        Path log = dir.resolve("prometheus.log");
        Files.createDirectories(dir.resolve("data"));
        Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=" + Ports.LOOPBACK + ":" + port,
                "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(process, URI.create("http://" + Ports.LOOPBACK + ":" + port + "/"),
                log);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException("prometheus did not become ready; its log (" + log + "):\n"
                        + Files.readString(log));
            }
            Thread.sleep(200);
        }
        return server;
    }

    public URI base() {
        return base;
    }

    private boolean ready() {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** An instant query's result: one element per series, each with {@code metric} and {@code value}. */
    public List<JsonNode> query(String promql) throws IOException, InterruptedException {
        JsonNode data = api("/api/v1/query?query=" + encode(promql));
        List<JsonNode> series = new ArrayList<>();
        data.path("result").forEach(series::add);
        return series;
    }

    /** The values of a label over the series a selector matches ({@code label_values(selector, label)}). */
    public List<String> labelValues(String selector, String label) throws IOException, InterruptedException {
        List<String> values = new ArrayList<>();
        api("/api/v1/label/" + label + "/values?match[]=" + encode(selector)).forEach(value -> values.add(value.asText()));
        return values;
    }

    /** The scrape targets ({@code data.activeTargets}). */
    public List<JsonNode> targets() throws IOException, InterruptedException {
        List<JsonNode> targets = new ArrayList<>();
        api("/api/v1/targets").path("activeTargets").forEach(targets::add);
        return targets;
    }

    /** The alerting and recording rules with their health, state and last error. */
    public List<JsonNode> rules() throws IOException, InterruptedException {
        List<JsonNode> rules = new ArrayList<>();
        api("/api/v1/rules").path("groups").forEach(group -> group.path("rules").forEach(rules::add));
        return rules;
    }

    private JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(TIMEOUT).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 200 || !body.path("status").asText().equals("success")) {
            throw new IOException("GET " + pathAndQuery + " answered " + response.statusCode() + ": "
                    + body.path("error").asText(response.body()));
        }
        return body.path("data");
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "prometheus at " + base + " (log " + log + ")";
    }
}
