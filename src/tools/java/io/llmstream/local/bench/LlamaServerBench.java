package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.llama.LlamaServer;
import io.llmstream.local.llama.LlamaServerInstall;
import io.llmstream.local.llama.LlamaServerOptions;
import io.llmstream.local.llama.TinyGgufModel;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Issue 18: the job on its defaults against a real llama.cpp {@code llama-server} with 2 slots, which never
 * answers 429 and queues what its slots cannot take. The same 600 streamed prompts ({@code max_tokens} 32 to
 * 128) go once straight to the server from 16 concurrent streams, far more than its slots, so its slots never
 * idle (the server saturated directly, the goal's yardstick), and once through the job over an embedded broker.
 * The job must ask every prompt once, keep the time to the first token near the server's unloaded one (so it
 * does not park requests in the server's queue) and still keep both slots busy.
 *
 * <p>A third run, with as many streams as slots, is printed for comparison and not judged: it is what a perfect
 * concurrency limit would do. On 2 cores it is the fastest of the three, as the server spends more CPU per answer
 * with streams waiting in its queue; each run prints the server's busy slots, queue and CPU, sampled from its
 * {@code /metrics} and its process.
 *
 * <p>Both runs' throughput is completions per second between their first and their last completion, so
 * neither counts its start (the job's start on an embedded Flink takes seconds). The time to the first token
 * is the first server-sent event of a stream, as the job's {@code first_token_ms} counts it. llama-server
 * counts no requests; those it served are the tasks its log shows ({@link LlamaServer#tasksStarted()}).
 *
 * <p>On first use the server comes from Debian's archive (about 12 MB, {@link LlamaServerInstall}); where it
 * cannot be had, the scenario fails with the reason in one line.
 */
final class LlamaServerBench {
    static final String NAME = "llama-server";
    static final String GOAL = "llama.cpp server with 2 slots, job on defaults, 600 prompts of up to 128 tokens: "
            + "0 prompts asked twice, time to first token p50 within 3x the server's unloaded time to first "
            + "token, throughput >= 95% of the server saturated directly";
    static final int PROMPTS = 600;
    static final double MAX_FIRST_TOKEN_FACTOR = 3;
    static final double MIN_THROUGHPUT_SHARE = 0.95;
    /** Far more streams than the server's 2 slots, so a slot that frees up always finds a request waiting. */
    static final int DIRECT_STREAMS = 16;
    /**
     * For the report only, not the goal: a client that keeps exactly the server's slots busy, what an ideal
     * concurrency limit would do. Its time to the first token shows what the job's limit sees at 2 in flight.
     */
    static final int SLOT_STREAMS = 2;
    private static final int UNLOADED_WARM_UP = 2;
    private static final int UNLOADED_REQUESTS = 10;
    private static final int UNLOADED_MAX_TOKENS = 16;
    private static final String MODEL = "tiny";
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;

    LlamaServerBench(PrintStream out) {
        this.out = out;
    }

    private static String prompt(int i) {
        return "Write a short note about record " + i + " of topic " + i % 37 + ".";
    }

    /** 32 to 128, the same for a prompt in both runs. */
    private static int maxTokens(int i) {
        return 32 + i % 97;
    }

    /**
     * One run's measurements.
     *
     * @param perSecond completions per second between the first and the last completion
     * @param firstTokenP50 median time to the first event, ms
     * @param firstTokenLevel the mean of the fastest three quarters of the times to the first event, ms: how the
     *     job's adaptive concurrency limit judges a round of answers
     * @param requestsSeen chat tasks the server's log shows for the run
     * @param load the server's busy slots and CPU between the first and the last completion, its queue over
     *     the whole run
     */
    record Run(int completed, long completionTokens, double seconds, double perSecond, double firstTokenP50,
            double firstTokenP95, double firstTokenLevel, long requestsSeen, ServerLoad.Summary load) {
        String describe() {
            String busyBySecond = load.busyBySecond().stream().map(busy -> String.format("%.1f", busy))
                    .collect(Collectors.joining(" "));
            return String.format("%d completions (%,d tokens) in %.2f s: %.1f completions/s; first token p50/p95 "
                    + "%.1f/%.1f ms, fastest three quarters' mean %.2f ms; server saw %d chat requests, slots busy "
                    + "%.2f of 2 on average, queue at most %d, its CPU %.0f%% of a core (this JVM's %.0f%%)%n"
                    + "      requests in the server (share of samples): %s%n"
                    + "      busy slots, second by second: %s", completed, completionTokens, seconds, perSecond,
                    firstTokenP50, firstTokenP95, firstTokenLevel, requestsSeen, load.busySlots(),
                    load.deepestQueue(), 100 * load.cpuShare(), 100 * load.jvmCpuShare(), load.inServerShares(),
                    busyBySecond);
        }
    }

    /** What the job's run wrote, beside its {@link Run}. */
    record JobOutcome(Run run, Map<Integer, Integer> attempts, int deadLetters, int duplicates,
            double secondsToFirstCompletion, JobStatus status) {}

    /** The scenario's outcome: the reason the server could not be had, or the three measurements. */
    record Result(String unavailable, double unloadedFirstTokenMillis, Run direct, JobOutcome job) {
        static Result unavailable(String reason) {
            return new Result(reason, 0, null, null);
        }

        boolean passed() {
            return unavailable == null && job.run.completed == PROMPTS && job.deadLetters == 0 && job.duplicates == 0
                    && job.run.requestsSeen == PROMPTS && job.attempts.equals(Map.of(1, PROMPTS))
                    && job.run.firstTokenP50 <= firstTokenLimit() && throughputShare() >= MIN_THROUGHPUT_SHARE;
        }

        double firstTokenLimit() {
            return MAX_FIRST_TOKEN_FACTOR * unloadedFirstTokenMillis;
        }

        double throughputShare() {
            return job.run.perSecond / direct.perSecond;
        }

        String verdict() {
            if (unavailable != null) {
                return "FAIL: llama-server unavailable: " + unavailable;
            }
            return String.format("%s: %d of %d completed, %d dead letters, %d duplicates; the server saw %d chat "
                    + "requests, attempts %s; first token p50 %.1f ms (p95 %.1f) vs %.1f = 3 x unloaded %.2f ms; "
                    + "%.1f completions/s = %.1f%% of the server saturated directly (%.1f/s)",
                    passed() ? "PASS" : "FAIL", job.run.completed, PROMPTS, job.deadLetters, job.duplicates,
                    job.run.requestsSeen, job.attempts, job.run.firstTokenP50, job.run.firstTokenP95,
                    firstTokenLimit(), unloadedFirstTokenMillis, job.run.perSecond, 100 * throughputShare(),
                    direct.perSecond);
        }
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", NAME, GOAL);
        out.printf("   %d cores, load average %s when it starts (other processes share the cores)%n",
                Runtime.getRuntime().availableProcessors(), loadAverage());
        boolean downloaded = LlamaServerInstall.cached(LlamaServerInstall.defaultCache()).isEmpty();
        LlamaServerInstall install = LlamaServerInstall.shared();
        if (!install.isAvailable()) {
            Result result = Result.unavailable(install.unavailableReason());
            out.printf("   %s%n", result.verdict());
            return result;
        }
        out.printf("   %s: Debian unstable's llama.cpp-tools %s, %s %s%n", serverVersion(install),
                install.version().replaceFirst("_", ":"), downloaded ? "downloaded now into" : "from the cache",
                install.root());
        Path dir = Files.createTempDirectory("llmstream-llama-bench");
        Path model = TinyGgufModel.writeTo(dir);
        LlamaServerOptions options = LlamaServerOptions.chat(model, MODEL);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                LlamaServer server = LlamaServer.start(install, options)) {
            for (String topic : List.of("prompts", "completions", "prompts-dlq", "llmstream-metrics")) {
                kafka.createTopic(topic, topic.equals("prompts") ? 2 : 1);
            }
            TopicWriter.write(kafka.bootstrapServers(), "prompts", PROMPTS, i -> JSON.createObjectNode()
                    .put("id", "l-" + i).put("prompt", prompt(i)).put("max_tokens", maxTokens(i)).toString());
            out.printf("   produced %d prompts; %s, %s%n", PROMPTS, server, options);

            double unloaded = unloadedFirstTokenMillis(server);
            Run direct = direct(server, DIRECT_STREAMS);
            out.printf("   directly, %d streams: %s%n", DIRECT_STREAMS, direct.describe());
            out.printf("   directly, %d streams (as many as slots; for comparison, not a goal): %s%n", SLOT_STREAMS,
                    direct(server, SLOT_STREAMS).describe());
            JobOutcome job = job(kafka, server);
            out.printf("   the job: %s; attempts %s, %d dead letters, %d duplicates, first completion %.1f s after "
                    + "submission, job %s%n", job.run.describe(), job.attempts, job.deadLetters, job.duplicates,
                    job.secondsToFirstCompletion, job.status);
            Result result = new Result(null, unloaded, direct, job);
            out.printf("   %s%n", result.verdict());
            return result;
        } finally {
            Files.deleteIfExists(model);
            Files.deleteIfExists(dir);
        }
    }

    /** The last minute's load average, from Linux's {@code /proc/loadavg}; "unknown" elsewhere. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The first line of {@code llama-server --version}, such as "version: 0.7.0 (build 11669, commit Debian)". */
    private static String serverVersion(LlamaServerInstall install) throws IOException, InterruptedException {
        Process process = install.serverProcess(List.of("--version")).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(10, TimeUnit.SECONDS);
        return "llama-server " + output.lines().filter(line -> line.startsWith("version:")).findFirst()
                .map(line -> line.substring("version:".length()).strip()).orElse("(version unknown)");
    }

    /** The median time to the first event of streams sent one at a time to the idle server, after a warm-up. */
    private double unloadedFirstTokenMillis(LlamaServer server) throws IOException {
        URI base = URI.create(server.baseUrl());
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < UNLOADED_WARM_UP + UNLOADED_REQUESTS; i++) {
            StreamedChat.Answer answer = StreamedChat.send(base,
                    StreamedChat.body(MODEL, "Unloaded request " + i + " about one topic.", UNLOADED_MAX_TOKENS));
            if (i >= UNLOADED_WARM_UP) {
                millis.add(answer.firstEventMillis());
            }
        }
        millis.sort(null);
        double median = (millis.get(millis.size() / 2 - 1) + millis.get(millis.size() / 2)) / 2;
        out.printf("   unloaded: %d streams one at a time (max_tokens %d, after %d to warm up), first token median "
                + "%.2f ms, from %.2f to %.2f ms%n", UNLOADED_REQUESTS, UNLOADED_MAX_TOKENS, UNLOADED_WARM_UP, median,
                millis.get(0), millis.get(millis.size() - 1));
        return median;
    }

    /** The prompts straight to the server from this many streams, each taking the next prompt. */
    private Run direct(LlamaServer server, int streamCount) throws Exception {
        URI base = URI.create(server.baseUrl());
        StreamedChat.Answer[] answers = new StreamedChat.Answer[PROMPTS];
        AtomicInteger next = new AtomicInteger();
        long tasksBefore = server.tasksStarted();
        ExecutorService streams = Executors.newFixedThreadPool(streamCount, task -> {
            Thread thread = new Thread(task, "llama-bench-stream");
            thread.setDaemon(true);
            return thread;
        });
        ServerLoad.Summary load;
        try (ServerLoad watch = ServerLoad.watch(server)) {
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < streamCount; s++) {
                running.add(streams.submit(() -> {
                    for (int i = next.getAndIncrement(); i < PROMPTS; i = next.getAndIncrement()) {
                        answers[i] = StreamedChat.send(base, StreamedChat.body(MODEL, prompt(i), maxTokens(i)));
                    }
                    return null;
                }));
            }
            for (Future<?> stream : running) {
                stream.get(GIVE_UP_AFTER.toMillis(), TimeUnit.MILLISECONDS);
            }
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (StreamedChat.Answer answer : answers) {
                first = Math.min(first, answer.endNanos());
                last = Math.max(last, answer.endNanos());
            }
            load = watch.summary(first, last);
        } finally {
            streams.shutdownNow();
        }
        List<Double> firstTokens = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        long tokens = 0;
        for (StreamedChat.Answer answer : answers) {
            firstTokens.add(answer.firstEventMillis());
            ends.add(answer.endNanos());
            tokens += answer.completionTokens();
        }
        return run(firstTokens, ends, tokens, server.tasksStarted() - tasksBefore, load);
    }

    /** The prompts through the job, on its defaults: only the broker, the endpoint and the model are set. */
    private JobOutcome job(EmbeddedKafkaBroker kafka, LlamaServer server) throws Exception {
        LlmStreamConfig config = new ConfigLoader(name -> null).loadYaml(String.join("\n",
                "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "'}",
                "endpoints: {llama: {base-url: '" + server.baseUrl() + "'}}",
                "models: {" + MODEL + ": {endpoint: llama}}"));
        long tasksBefore = server.tasksStarted();
        long submitted = System.nanoTime();
        JobClient job = BenchRunner.submit(config, true);
        Map<String, JsonNode> completions = new HashMap<>();
        List<Long> arrivals = new ArrayList<>();
        int deadLetters = 0;
        int duplicates = 0;
        ServerLoad.Summary load;
        try (ServerLoad watch = ServerLoad.watch(server);
                TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("completions", "prompts-dlq"),
                        false)) {
            long nextProgress = submitted;
            while (completions.size() + deadLetters < PROMPTS && System.nanoTime() - submitted < GIVE_UP_AFTER.toNanos()
                    && job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                List<ConsumerRecord<String, String>> records = reader.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                for (ConsumerRecord<String, String> record : records) {
                    if (record.topic().equals("prompts-dlq")) {
                        deadLetters++;
                        out.printf("   dead letter: %s%n", record.value());
                    } else if (completions.put(record.key(), JSON.readTree(record.value())) != null) {
                        duplicates++;
                    } else {
                        arrivals.add(now);
                    }
                }
                if (now >= nextProgress) {
                    out.printf("   [%5.1fs] %3d/%d completed, server: %d chat requests%n", (now - submitted) / 1e9,
                            completions.size(), PROMPTS, server.tasksStarted() - tasksBefore);
                    nextProgress += Duration.ofSeconds(5).toNanos();
                }
            }
            load = arrivals.isEmpty() ? ServerLoad.Summary.NONE
                    : watch.summary(arrivals.get(0), arrivals.get(arrivals.size() - 1));
            // A prompt asked twice would show up late: give it time to arrive.
            for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(2))) {
                if (record.topic().equals("prompts-dlq")) {
                    deadLetters++;
                } else if (completions.put(record.key(), JSON.readTree(record.value())) != null) {
                    duplicates++;
                }
            }
        }
        long requestsSeen = server.tasksStarted() - tasksBefore;
        printWindows(kafka);
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (status == JobStatus.RUNNING) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        List<Double> firstTokens = new ArrayList<>();
        Map<Integer, Integer> attempts = new TreeMap<>();
        long tokens = 0;
        for (JsonNode completion : completions.values()) {
            firstTokens.add(completion.path("first_token_ms").asDouble(-1));
            attempts.merge(completion.path("attempts").asInt(), 1, Integer::sum);
            tokens += completion.path("usage").path("completion_tokens").asLong();
        }
        Run run = run(firstTokens, arrivals, tokens, requestsSeen, load);
        double toFirst = arrivals.isEmpty() ? -1 : (arrivals.get(0) - submitted) / 1e9;
        return new JobOutcome(run, attempts, deadLetters, duplicates, toFirst, status);
    }

    /** The job's metrics windows so far (10 s each): its adaptive concurrency limit and first tokens per window. */
    private void printWindows(EmbeddedKafkaBroker kafka) throws IOException {
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of("llmstream-metrics"), false)) {
            for (ConsumerRecord<String, String> record : reader.poll(Duration.ofSeconds(1))) {
                JsonNode window = JSON.readTree(record.value());
                out.printf("      the job's window from %s: %d requests, concurrency_limit %d, first token p50/p95 "
                        + "%s/%s ms%n", window.path("window_start").asText(), window.path("requests").asLong(),
                        window.path("concurrency_limit").asInt(), window.path("first_token_ms").path("p50").asText(),
                        window.path("first_token_ms").path("p95").asText());
            }
        }
    }

    /** A run's figures from its times to the first token, the instants of its completions and the server's load. */
    private static Run run(List<Double> firstTokens, List<Long> completionNanos, long tokens, long requestsSeen,
            ServerLoad.Summary load) {
        firstTokens.sort(null);
        long first = completionNanos.stream().mapToLong(Long::longValue).min().orElse(0);
        long last = completionNanos.stream().mapToLong(Long::longValue).max().orElse(0);
        double seconds = (last - first) / 1e9;
        double perSecond = completionNanos.size() < 2 ? 0 : (completionNanos.size() - 1) / seconds;
        return new Run(completionNanos.size(), tokens, seconds, perSecond, percentile(firstTokens, 0.5),
                percentile(firstTokens, 0.95), fastestThreeQuarters(firstTokens), requestsSeen, load);
    }

    /** The mean of the fastest three quarters of sorted values; -1 for none. */
    private static double fastestThreeQuarters(List<Double> sorted) {
        int count = Math.max(1, sorted.size() - sorted.size() / 4);
        return sorted.isEmpty() ? -1 : sorted.subList(0, count).stream().mapToDouble(Double::doubleValue).average()
                .orElse(-1);
    }

    /** The value at {@code share} of a sorted list, by the nearest rank; -1 for none. */
    private static double percentile(List<Double> sorted, double share) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.max(0, (int) Math.ceil(share * sorted.size()) - 1));
    }
}
