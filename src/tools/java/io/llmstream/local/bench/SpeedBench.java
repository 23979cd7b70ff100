package io.llmstream.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.local.Ports;
import io.llmstream.local.TopicWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * How fast the job itself is when the provider is not the limit (issue 16): a provider answering in 1 ms
 * without limits, {@code call.order: none} and {@code call.capacity: 256}, everything else on its
 * defaults. The broker, the mock and the job each run in a JVM of their own on this machine
 * ({@code kafka}, {@code mock-llm}, {@code run}), as a user runs them, so the job's CPU is measured apart:
 * completions per second over the steady part (the mock's own count of answers) and the job JVM's CPU time
 * per request, split by thread (the stages) where Linux shows it. Streamed answers (the default) and
 * {@code stream: false} in turn, twice each, the faster run of each judged (every run is printed), from a server
 * that writes each answer at once, its headers with its first token ({@code --stream sse-at-first-token}), as the
 * issue's own test server did. Then once more streamed from a server that sends its headers before the first
 * token ({@code --stream sse}, as vLLM does): every answer is then one more write for the server and one more read
 * for the job, which the job cannot merge, so its streaming cost is reported but only its speed and CPU are
 * judged. A first unmeasured job warms the broker and the mock; each
 * measured job runs {@value #DEFAULT_WARM_UP_SECONDS} s before its 30 s are measured (the JIT compiles for
 * about a minute on two busy cores). How fast a job gets going is reported too, not judged: its rate over the
 * first 10 s after its first answer.
 */
final class SpeedBench {
    static final String NAME = "speed";
    /** The same setup, streamed, once without and once with {@code tenants} configured (issue 20). */
    static final String TENANTS_NAME = "speed-tenants";
    static final String TENANTS_GOAL = "1 ms provider, no limit, order none, capacity 256, streamed, a backfill of "
            + "1,000,000 prompts: with two tenants configured (every record of the default one) answered <= 15% slower "
            + "than without tenants";
    /**
     * The backfill of the tenants' comparison: with tenants the job reads past what its call stage has no room for
     * and reads it again later, a cost paid once per record, mostly at the start; so the whole backfill is timed.
     */
    private static final int BACKFILL = 1_000_000;
    /** The longest a backfill may take before the run fails (it takes about 90 s). */
    private static final Duration BACKFILL_TIMEOUT = Duration.ofMinutes(6);
    static final String GOAL = "1 ms provider, no limit, order none, capacity 256: >= 10,000 completions/s streamed, "
            + "<= 100 us of the job's CPU per request (from either server), streaming <= 15% below plain from a "
            + "server that writes each answer at once";
    static final double MIN_PER_SECOND = 10_000;
    static final double MAX_CPU_MICROS = 100;
    static final double MAX_STREAMING_COST = 0.15;
    static final long DEFAULT_WARM_UP_SECONDS = 60;
    private static final Duration WARM_UP = Duration.ofSeconds(Long.getLong("llmstream.bench.speed.warm-up-seconds", DEFAULT_WARM_UP_SECONDS));
    /**
     * JVM options for the job's JVM, for example a Flight Recorder profile of the steady part:
     * {@code -XX:StartFlightRecording=delay=30s,duration=30s,settings=profile,filename=job.jfr}.
     */
    static final String JOB_JVM_OPTIONS = "LLMSTREAM_BENCH_JOB_JVM_OPTIONS";
    /** Another llmstream.jar to run the job from, to compare a version with this one on the same broker and mock. */
    static final String JOB_JAR = "LLMSTREAM_BENCH_JOB_JAR";
    private static final Duration MEASURED = Duration.ofSeconds(30);
    /** How fast a job starts: the completions of its first seconds after its first answer (JIT still cold). */
    private static final Duration START = Duration.ofSeconds(10);
    /** Enough input for both runs' warm-up and steady part well above the goal. */
    private static final int PROMPTS = 2_500_000;
    /** A first, unmeasured run that warms the broker and the mock (each measured job warms up on its own). */
    private static final Duration BROKER_AND_MOCK_WARM_UP = Duration.ofSeconds(25);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BROKER_READY = Pattern.compile("KRaft broker \\(Kafka [^)]*\\) on (\\S+),");
    private static final Pattern MOCK_READY = Pattern.compile("listening on (http://\\S+/v1)");

    private final PrintStream out;
    private final boolean tenants;

    /** @param tenants whether to compare a job with tenants to one without instead of streamed to plain */
    SpeedBench(PrintStream out, boolean tenants) {
        this.out = out;
        this.tenants = tenants;
    }

    Result run() throws Exception {
        out.printf("%n== %s: %s%n", tenants ? TENANTS_NAME : NAME, tenants ? TENANTS_GOAL : GOAL);
        Path dir = Files.createTempDirectory("llmstream-speed");
        try (ChildJvm broker = ChildJvm.start("kafka", dir, List.of("kafka", "--port", String.valueOf(Ports.freePort()),
                        "--partitions", "2", "--topics", "prompts,completions,prompts-dlq,llmstream-metrics"));
                // The tenants' comparison streams from both sides, so it keeps the server that sends headers first.
                ChildJvm mock = startMock(dir, "mock-llm", tenants ? "sse" : "sse-at-first-token");
                ChildJvm headersFirstMock = tenants ? null : startMock(dir, "mock-llm-headers-first", "sse")) {
            String bootstrap = broker.awaitLine(BROKER_READY, Duration.ofSeconds(60));
            String mockUrl = mock.awaitLine(MOCK_READY, Duration.ofSeconds(60));
            long producing = System.nanoTime();
            int prompts = tenants ? BACKFILL : PROMPTS;
            TopicWriter.write(bootstrap, "prompts", prompts,
                    i -> "{\"id\": \"s-" + i + "\", \"prompt\": \"Tag item " + i + " with one word.\", \"max_tokens\": 8}");
            out.printf("   produced %,d prompts in %.1f s; broker, mock and job in JVMs of their own (output in %s)%n",
                    prompts, (System.nanoTime() - producing) / 1e9, dir);
            warmUp(dir, bootstrap, mockUrl);
            Result result;
            if (tenants) {
                result = new Result(backfill(dir, bootstrap, mockUrl, "streamed", broker, mock),
                        backfill(dir, bootstrap, mockUrl, "tenants", broker, mock), null, true);
            } else {
                // Streamed and plain take turns, twice, and the faster run of each counts: the machine's noise
                // (the broker, the mock and other processes on the same two cores) only ever slows a run down.
                Run streamed = measure(dir, bootstrap, mockUrl, "streamed", broker, mock);
                Run plain = measure(dir, bootstrap, mockUrl, "plain", broker, mock);
                streamed = faster(streamed, measure(dir, bootstrap, mockUrl, "streamed-again", broker, mock));
                plain = faster(plain, measure(dir, bootstrap, mockUrl, "plain-again", broker, mock));
                // Warmed by its own job's minute of warm-up, as each measured job is.
                String headersFirstUrl = headersFirstMock.awaitLine(MOCK_READY, Duration.ofSeconds(60));
                Run headersFirst = measure(dir, bootstrap, headersFirstUrl, "headers-first", broker, headersFirstMock);
                result = new Result(streamed, plain, headersFirst, false);
            }
            out.printf("   %s%n", result.verdict());
            return result;
        }
    }

    /** A mock answering in 1 ms, its streams sent as {@code --stream streamMode} says. */
    private static ChildJvm startMock(Path dir, String name, String streamMode) throws IOException {
        return ChildJvm.start(name, dir, List.of("mock-llm", "--port", String.valueOf(Ports.freePort()),
                "--latency-ms", "1", "--latency-sigma", "0", "--stream", streamMode));
    }

    private void warmUp(Path dir, String bootstrap, String mockUrl) throws Exception {
        try (ChildJvm job = ChildJvm.start("job-warm-up", dir, List.of("run", "--config",
                config(dir, bootstrap, mockUrl, "warm-up").toString()))) {
            TimeUnit.NANOSECONDS.sleep(BROKER_AND_MOCK_WARM_UP.toNanos());
            if (answered(mockUrl) == 0) {
                throw new IllegalStateException("the warm-up job answered nothing: " + job.tail());
            }
        }
        out.printf("   broker and mock warmed up by a first job of %d s%n", BROKER_AND_MOCK_WARM_UP.toSeconds());
    }

    /** The job's configuration: streamed but for the "plain" run, with two tenants in the "tenants" run. */
    private static Path config(Path dir, String bootstrap, String mockUrl, String label) throws IOException {
        boolean stream = !label.startsWith("plain");
        Path config = dir.resolve("speed-" + label + ".yaml");
        Files.writeString(config, String.join("\n",
                "kafka: {bootstrap-servers: '" + bootstrap + "', starting-offsets: earliest, group-id: speed-" + label
                        + "}",
                "endpoints: {mock: {base-url: '" + mockUrl + "', api-keys: [bench-key], stream: " + stream + "}}",
                "models: {gpt-4o-mini: {endpoint: mock}}",
                "call: {order: none, capacity: 256}",
                "job: {name: llmstream-bench-speed-" + label + "}",
                label.equals("tenants") ? "tenants: {team-a: {weight: 1}, team-b: {weight: 2}}" : "",
                ""));
        return config;
    }

    private Run measure(Path dir, String bootstrap, String mockUrl, String label, ChildJvm broker, ChildJvm mock)
            throws Exception {
        try (ChildJvm job = startJob(dir, label, config(dir, bootstrap, mockUrl, label))) {
            long started = System.nanoTime();
            long before = answered(mockUrl);
            long firstAnswerNanos = -1;
            long startAnswered = -1;
            while (System.nanoTime() - started < WARM_UP.toNanos()) {
                TimeUnit.MILLISECONDS.sleep(100);
                long now = System.nanoTime();
                long answeredNow = answered(mockUrl); // fails early when the mock is gone
                if (firstAnswerNanos < 0 && answeredNow > before) {
                    firstAnswerNanos = now;
                } else if (firstAnswerNanos > 0 && startAnswered < 0 && now - firstAnswerNanos >= START.toNanos()) {
                    startAnswered = answeredNow - before;
                }
            }
            long firstAnswered = answered(mockUrl);
            CpuSample first = CpuSample.of(job, broker, mock);
            long firstNanos = System.nanoTime();
            TimeUnit.NANOSECONDS.sleep(MEASURED.toNanos());
            long answered = answered(mockUrl) - firstAnswered;
            double seconds = (System.nanoTime() - firstNanos) / 1e9;
            if (answered == 0) {
                throw new IllegalStateException("the job answered nothing in " + MEASURED.toSeconds() + " s: "
                        + job.tail());
            }
            Run run = first.runUntil(CpuSample.of(job, broker, mock), label, answered, seconds, startAnswered);
            out.printf("   %s%n", run.describe());
            return run;
        }
    }

    /**
     * Times a job through the whole backfill, from its first answer to its last; its CPU is counted over the same
     * time.
     */
    private Run backfill(Path dir, String bootstrap, String mockUrl, String label, ChildJvm broker, ChildJvm mock)
            throws Exception {
        try (ChildJvm job = startJob(dir, label, config(dir, bootstrap, mockUrl, label))) {
            CpuSample first = null; // at the first answer
            long answered = 0;
            long before = answered(mockUrl);
            long started = System.nanoTime();
            long firstNanos = -1;
            long startAnswered = -1;
            while (answered < BACKFILL) {
                if (System.nanoTime() - started > BACKFILL_TIMEOUT.toNanos()) {
                    throw new IllegalStateException("the job answered " + answered + " of " + BACKFILL + " in "
                            + BACKFILL_TIMEOUT.toMinutes() + " min: " + job.tail());
                }
                TimeUnit.MILLISECONDS.sleep(50);
                answered = answered(mockUrl) - before;
                long now = System.nanoTime();
                if (firstNanos < 0 && answered > 0) {
                    firstNanos = now;
                    first = CpuSample.of(job, broker, mock);
                } else if (firstNanos > 0 && startAnswered < 0 && now - firstNanos >= START.toNanos()) {
                    startAnswered = answered;
                }
            }
            double seconds = (System.nanoTime() - firstNanos) / 1e9;
            Run run = first.runUntil(CpuSample.of(job, broker, mock), label, answered, seconds, startAnswered);
            out.printf("   %s (%,d answered in %.1f s)%n", run.describe(), answered, seconds);
            return run;
        }
    }

    private static Run faster(Run first, Run second) {
        return second.perSecond() > first.perSecond() ? second : first;
    }

    /** The job's JVM, from this build or {@value #JOB_JAR}, with {@value #JOB_JVM_OPTIONS}. */
    private static ChildJvm startJob(Path dir, String label, Path config) throws IOException {
        String jvmOptions = System.getenv().getOrDefault(JOB_JVM_OPTIONS, "").replace("%s", label).trim();
        return ChildJvm.start("job-" + label, dir,
                System.getenv().getOrDefault(JOB_JAR, System.getProperty("java.class.path")),
                jvmOptions.isEmpty() ? List.of() : List.of(jvmOptions.split("\\s+")),
                List.of("run", "--config", config.toString()));
    }

    private static Map<String, Long> minus(Map<String, Long> last, Map<String, Long> first) {
        Map<String, Long> delta = new HashMap<>();
        last.forEach((name, nanos) -> delta.put(name, nanos - first.getOrDefault(name, 0L)));
        return delta;
    }

    /** Microseconds of CPU per request by thread group, the largest first, those under 1 us left out. */
    private static List<Map.Entry<String, Double>> perRequest(Map<String, Long> threads, long requests) {
        List<Map.Entry<String, Double>> groups = new ArrayList<>();
        threads.forEach((name, nanos) -> {
            double micros = nanos / 1e3 / requests;
            if (micros >= 1) {
                groups.add(Map.entry(name, micros));
            }
        });
        groups.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()));
        return groups;
    }

    private static long answered(String mockUrl) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(mockUrl.replaceFirst("/v1$", "") + "/mock/stats")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode stats = JSON.readTree(response.body());
        return stats.path("responsesByStatus").path("200").asLong();
    }

    /** The CPU time the job (by thread), the broker and the mock have used so far. */
    private record CpuSample(long job, Map<String, Long> threads, long broker, long mock) {
        static CpuSample of(ChildJvm job, ChildJvm broker, ChildJvm mock) {
            return new CpuSample(job.cpuNanos(), job.cpuNanosByThread(), broker.cpuNanos(), mock.cpuNanos());
        }

        /** The run from this sample to {@code last}: {@code answered} in {@code seconds}. */
        Run runUntil(CpuSample last, String label, long answered, double seconds, long startAnswered) {
            return new Run(label, answered / seconds, (last.job - job) / 1e3 / answered,
                    perRequest(minus(last.threads, threads), answered), (last.broker - broker) / 1e3 / answered,
                    (last.mock - mock) / 1e3 / answered, Math.max(0, startAnswered) / (double) START.toSeconds());
        }
    }

    /** One run's steady part. */
    record Run(String label, double perSecond, double cpuMicrosPerRequest, List<Map.Entry<String, Double>> threads,
               double brokerMicrosPerRequest, double mockMicrosPerRequest, double startPerSecond) {
        String describe() {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                    "%-8s %,8.0f completions/s, %5.1f us of the job's CPU per request (broker %.1f us, mock %.1f us); "
                            + "%,.0f/s in the first %d s after the first answer",
                    label, perSecond, cpuMicrosPerRequest, brokerMicrosPerRequest, mockMicrosPerRequest,
                    startPerSecond, START.toSeconds()));
            for (Map.Entry<String, Double> thread : threads) {
                text.append(String.format(Locale.ROOT, "%n              %6.1f us  %s", thread.getValue(),
                        thread.getKey()));
            }
            return text.toString();
        }
    }

    /**
     * Both runs and the goal: the streamed run against the plain one, or against the one with tenants; and the
     * streamed run from a server that sends its headers first (null in the tenants' comparison).
     */
    record Result(Run streamed, Run other, Run headersFirst, boolean tenants) {
        /** What streaming, or configuring tenants, costs: the share of the other run's speed lost. */
        double cost() {
            return tenants ? 1 - other.perSecond / streamed.perSecond : 1 - streamed.perSecond / other.perSecond;
        }

        boolean passed() {
            if (tenants) {
                return cost() <= MAX_STREAMING_COST;
            }
            return fastEnough(streamed) && fastEnough(headersFirst) && cost() <= MAX_STREAMING_COST;
        }

        private static boolean fastEnough(Run run) {
            return run.perSecond >= MIN_PER_SECOND && run.cpuMicrosPerRequest <= MAX_CPU_MICROS;
        }

        String verdict() {
            String verdict = String.format(Locale.ROOT, "%s: %,.0f completions/s streamed (%.1f us CPU each), %,.0f %s "
                            + "(%.1f us), %s costs %.1f%%", passed() ? "PASS" : "FAIL", streamed.perSecond,
                    streamed.cpuMicrosPerRequest, other.perSecond, tenants ? "with tenants" : "plain",
                    other.cpuMicrosPerRequest, tenants ? "configuring tenants" : "streaming", 100 * cost());
            if (headersFirst == null) {
                return verdict;
            }
            return verdict + String.format(Locale.ROOT, "; from a server that sends its headers before the first "
                    + "token: %,.0f completions/s (%.1f us CPU each), streaming costs %.1f%% there (not judged: one "
                    + "more write and read per answer)", headersFirst.perSecond, headersFirst.cpuMicrosPerRequest,
                    100 * (1 - headersFirst.perSecond / other.perSecond));
        }
    }
}
