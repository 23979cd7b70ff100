package io.llmstream.local.demo;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.kafka.KafkaJob;
import io.llmstream.kafka.KafkaStartupCheck;
import io.llmstream.local.Ports;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.watch.JobFailedException;
import io.llmstream.watch.JobWatcher;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo: an embedded KRaft broker, the mock LLM with rate limits, latency and faults, and the job on
 * an embedded Flink; 2,000 prompts in, a live progress line, a summary table out. It succeeds when
 * every produced prompt is accounted for as a completion or a dead letter.
 */
public final class DemoRunner {
    static final int PROMPTS = 2000;
    static final String SMALL_MODEL = "gpt-4o-mini";
    static final String BIG_MODEL = "gpt-4o";
    static final int SMALL_RPM = 3000;
    static final int BIG_RPM = 600;
    static final int SMALL_TPM = 600_000;
    static final int BIG_TPM = 90_000;
    /** Support's spend cap: less than its prompts would cost, so that its last ones show the cap. */
    static final double SUPPORT_SPEND_PER_DAY = 0.06;
    private static final String API_KEY = "demo-key";
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(150);

    private final PrintStream out;
    private final boolean verbose;
    private final boolean terminal = System.console() != null;

    /** @param verbose print every failure's stack trace too */
    public DemoRunner(PrintStream out, boolean verbose) {
        this.out = out;
        this.verbose = verbose;
    }

    /**
     * Runs the demo; returns the exit code: 0 if every prompt is accounted for.
     *
     * @throws JobFailedException if the job failed, or kept failing without progress
     */
    public int run() throws Exception {
        long started = System.nanoTime();
        out.println("llmstream demo: starting a Kafka broker (KRaft), the mock LLM and the job, all in this process");
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
                MockLlmServer mock = MockLlmServer.start(mockOptions())) {
            LlmStreamConfig config = config(kafka.bootstrapServers(), mock.baseUrl());
            kafka.createTopic(config.kafka().topics().input(), 2);
            kafka.createTopic(config.kafka().topics().output(), 2);
            kafka.createTopic(config.kafka().topics().deadLetter(), 1);
            kafka.createTopic(config.kafka().topics().metrics(), 1);
            kafka.createTopic(config.kafka().topics().usage(), 1);
            config = KafkaStartupCheck.run(config, note -> out.println("  " + note));
            List<String> prompts = DemoPrompts.generate(PROMPTS, BIG_MODEL, SMALL_MODEL);
            TopicWriter.write(kafka.bootstrapServers(), config.kafka().topics().input(), prompts);
            out.printf("  kafka %s | mock %s | %d prompts in topic '%s' (%d invalid, %d the provider refuses)%n",
                    kafka.bootstrapServers(), mock.baseUrl(), prompts.size(), config.kafka().topics().input(),
                    DemoPrompts.invalidCount(), DemoPrompts.refusedCount());
            out.printf("  limits: %s %d RPM / %,d TPM, %s %d RPM / %,d TPM; mock latency ~150 ms with 2%% errors,"
                    + " resets, hangs and malformed bodies%n", SMALL_MODEL, SMALL_RPM, SMALL_TPM, BIG_MODEL, BIG_RPM,
                    BIG_TPM);
            out.printf("  cache: %s answers repeated requests from memory for 10 min (1 prompt in %d is a "
                    + "frequently asked one)%n", SMALL_MODEL, DemoPrompts.REPEAT_EVERY);
            out.printf("  tenants: %s (weight 1) and %s (weight 2, spend capped at $%.2f a day) share the models; "
                    + "the ledger in topic '%s'%n", DemoPrompts.ANALYTICS, DemoPrompts.SUPPORT, SUPPORT_SPEND_PER_DAY,
                    config.kafka().topics().usage());

            long jobStarted = System.nanoTime();
            Configuration flinkSettings = new Configuration();
            URI rest = JobWatcher.restOnLoopback(flinkSettings, Ports.freePort());
            JobClient job = KafkaJob.environment(config, flinkSettings).executeAsync(config.job().name());
            JobWatcher watcher = JobWatcher.start(job, rest, config, this::printFailure,
                    verbose ? out::println : trace -> { });
            DemoTally tally = follow(config, kafka.bootstrapServers(), job, mock, jobStarted);
            boolean ended = job.getJobExecutionResult().isDone();
            if (!ended) {
                out.printf("  the job did not finish within %d s: cancelled%n", GIVE_UP_AFTER.toSeconds());
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            try {
                watcher.await();
            } catch (JobFailedException e) {
                if (ended) {
                    throw e;
                }
            }
            double seconds = (System.nanoTime() - jobStarted) / 1e9;
            new DemoReport(out, tally, mock.stats(), prompts.size(), seconds).print();
            boolean complete = tally.accounted() == prompts.size();
            out.printf("%n%s in %.1f s overall%n", complete
                    ? "OK: every prompt is accounted for" : "FAILED: " + (prompts.size() - tally.accounted())
                    + " prompts are missing", (System.nanoTime() - started) / 1e9);
            return complete ? 0 : 1;
        }
    }

    private static MockOptions mockOptions() {
        return MockOptions.builder()
                .port(0)
                .apiKeys(List.of(API_KEY))
                .seed(42)
                .latencyMs(150)
                .latencySigma(0.4)
                .limit("*", SMALL_MODEL, SMALL_RPM, SMALL_TPM)
                .limit("*", BIG_MODEL, BIG_RPM, BIG_TPM)
                .errorRate(0.02)
                .resetRate(0.003)
                .hangRate(0.002)
                .malformedRate(0.003)
                .build();
    }

    private static LlmStreamConfig config(String bootstrapServers, String mockUrl) {
        String yaml = String.join("\n",
                "kafka: {bootstrap-servers: '" + bootstrapServers + "', starting-offsets: earliest, topics: {usage: "
                        + "llmstream-usage}}",
                "endpoints: {mock: {base-url: '" + mockUrl + "', api-keys: [" + API_KEY + "]}}",
                "models:",
                "  " + SMALL_MODEL + ": {endpoint: mock, rpm: " + SMALL_RPM + ", tpm: " + SMALL_TPM
                        + ", cache: {ttl: 10m}, price: {input: 0.15, output: 0.60}}",
                "  " + BIG_MODEL + ": {endpoint: mock, rpm: " + BIG_RPM + ", tpm: " + BIG_TPM
                        + ", price: {input: 2.50, output: 10.00}}",
                "default-model: " + SMALL_MODEL,
                "tenants: {" + DemoPrompts.ANALYTICS + ": {weight: 1}, " + DemoPrompts.SUPPORT + ": {weight: 2, "
                        + "spend-per-day: " + SUPPORT_SPEND_PER_DAY + "}}",
                // The default order and timeouts: a hung request costs a few first-token times, not minutes.
                "call: {capacity: 200, retry: {max-attempts: 5, initial-backoff: 200ms}}",
                "metrics: {window: 5s}",
                "job: {name: llmstream-demo, parallelism: 2, bounded: true, checkpoint-interval: 5s}");
        return new ConfigLoader(name -> null).loadYaml(yaml);
    }

    /** Reads the job's topics and shows progress until every prompt is accounted for or the job is done. */
    private DemoTally follow(LlmStreamConfig config, String bootstrapServers, JobClient job, MockLlmServer mock,
            long startedNanos) throws Exception {
        var topics = config.kafka().topics();
        DemoTally tally = new DemoTally(topics.output(), topics.deadLetter(), topics.usage());
        long lastPrint = 0;
        long deadline = System.nanoTime() + GIVE_UP_AFTER.toNanos();
        try (TopicReader reader = new TopicReader(bootstrapServers,
                List.of(topics.output(), topics.deadLetter(), topics.metrics(), topics.usage()), false)) {
            while (System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(250)).forEach(tally::add);
                boolean jobDone = job.getJobExecutionResult().isDone();
                long now = System.nanoTime();
                if (now - lastPrint > (terminal ? 250_000_000L : 2_000_000_000L)) {
                    printProgress(tally, mock, (now - startedNanos) / 1e9);
                    lastPrint = now;
                }
                if (jobDone) {
                    // The job is over: read what is left (the last metrics windows too), then stop.
                    var rest = reader.poll(Duration.ofSeconds(2));
                    rest.forEach(tally::add);
                    if (rest.isEmpty()) {
                        break;
                    }
                }
            }
        }
        printProgress(tally, mock, (System.nanoTime() - startedNanos) / 1e9);
        out.println();
        return tally;
    }

    /** A failure line on a line of its own, even while the progress line is being redrawn. */
    private void printFailure(String line) {
        out.println((terminal ? "\n" : "") + "  " + line);
    }

    private void printProgress(DemoTally tally, MockLlmServer mock, double seconds) {
        String line = String.format("  [%5.1fs] %,5d/%,d accounted | %,5d completions | %,3d dead letters | "
                        + "%5.1f prompts/s | mock: %,d requests, %,d rate-limited",
                seconds, tally.accounted(), PROMPTS, tally.completions(), tally.deadLetters(),
                tally.accounted() / Math.max(seconds, 0.001), mock.stats().requests(), mock.stats().rateLimited());
        if (terminal) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }
}
