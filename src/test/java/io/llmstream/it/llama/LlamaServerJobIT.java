package io.llmstream.it.llama;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.it.KafkaJobRuns;
import io.llmstream.local.TopicReader;
import io.llmstream.local.TopicWriter;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;
import io.llmstream.local.llama.LlamaServer;
import io.llmstream.local.llama.LlamaServerInstall;
import io.llmstream.local.llama.LlamaServerOptions;
import io.llmstream.local.llama.TinyGgufModel;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The job as deployed against a real llama.cpp {@code llama-server}: a real KRaft broker in and out, on a
 * MiniCluster, with the defaults but what a user must set (the endpoint's base URL, the model names, the API
 * key). The server has 2 slots, never answers 429 and queues what it cannot serve; its random-weight model
 * answers every chat up to {@code max_tokens}, so the completion tokens of every answer are known in advance.
 * It closes the connection after every streamed answer, although its headers offer to keep it alive.
 *
 * <p>llama-server counts no requests: what it served is counted from its log (a task per chat, a task per
 * embedding input; a request given up while it waited for a slot is not one) and cross-checked with its
 * {@code llamacpp:tokens_predicted_total}, the {@code max_tokens} of every chat it served, once each.
 */
@RequiresLlamaServer
class LlamaServerJobIT {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaServerJobIT.class);
    private static final String ALIAS = "tiny";
    private static final Function<String, String> NO_ENVIRONMENT = name -> null;
    /** Where the adaptive concurrency limit starts, before it has measured the server. */
    private static final int ADAPTIVE_START = 8;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    static Path dir;
    private static LlamaServerInstall install;
    private static Path model;
    private static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void start(LlamaServerInstall found) throws Exception {
        install = found;
        model = TinyGgufModel.writeTo(dir);
        kafka = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults());
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void streamedChatsComeBackOnceEachWithTheServersUsage() throws Exception {
        int prompts = 60;
        IntUnaryOperator maxTokens = i -> 16 + i % 49;
        Topics topics = Topics.create("chat");
        try (LlamaServer server = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS))) {
            TopicWriter.write(kafka.bootstrapServers(), topics.input(), prompts, i -> "{\"id\": \"c-" + i
                    + "\", \"prompt\": \"Tell me about item " + i + "\", \"max_tokens\": "
                    + maxTokens.applyAsInt(i) + ", \"metadata\": {\"row\": " + i + "}}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), NO_ENVIRONMENT, topics.yaml(),
                    endpoint("llama", server.baseUrl()), "models: {tiny: {endpoint: llama}}");

            Results results = Results.read(topics);
            long served = server.tasksStarted();
            LOG.info("{} streamed chats: {}; chat requests served {}", prompts, results.summary(), served);
            assertThat(results.deadLetters()).isEmpty();
            assertThat(results.completions().keySet()).containsExactlyInAnyOrderElementsOf(ids("c-", prompts));
            long promptTokens = 0;
            long completionTokens = 0;
            for (int i = 0; i < prompts; i++) {
                JsonNode completion = results.completions().get("c-" + i);
                JsonNode usage = completion.path("usage");
                assertThat(completion.path("model").asText()).isEqualTo("tiny");
                assertThat(completion.path("content").asText()).as("c-%d", i).isNotBlank();
                assertThat(completion.path("finish_reason").asText()).as("c-%d", i).isEqualTo("length");
                assertThat(usage.path("completion_tokens").asInt()).as("c-%d", i).isEqualTo(maxTokens.applyAsInt(i));
                assertThat(usage.path("prompt_tokens").asInt()).as("c-%d", i).isPositive();
                assertThat(usage.path("total_tokens").asInt())
                        .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
                assertThat(completion.path("first_token_ms").asLong()).as("c-%d streamed", i).isNotNegative();
                assertThat(completion.path("metadata").path("row").asInt()).isEqualTo(i);
                promptTokens += usage.path("prompt_tokens").asInt();
                completionTokens += usage.path("completion_tokens").asInt();
            }
            assertThat(results.attempts()).as("completions by attempts").isEqualTo(Map.of(1, prompts));
            assertThat(served).as("chat requests the server served").isEqualTo(prompts);
            assertThat((long) server.metric("llamacpp:tokens_predicted_total")).isEqualTo(completionTokens);
            assertThat((long) (server.metric("llamacpp:prompt_tokens_total")
                    + server.metric("llamacpp:prompt_tokens_cached_total")))
                    .as("prompt tokens the server evaluated or took from its cache: the usage it reported")
                    .isEqualTo(promptTokens);
        }
    }

    @Test
    void embeddingsComeBackAsTheServersVectorOfEachInput() throws Exception {
        int inputs = 300;
        Topics topics = Topics.create("embed");
        try (LlamaServer server = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS)
                .withEmbeddings(true))) {
            TopicWriter.write(kafka.bootstrapServers(), topics.input(), inputs,
                    i -> "{\"id\": \"e-" + i + "\", \"input\": \"" + document(i) + "\"}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), NO_ENVIRONMENT, topics.yaml(),
                    endpoint("llama", server.baseUrl()),
                    "models: {emb: {endpoint: llama, kind: embedding, name: " + ALIAS + "}}");

            Results results = Results.read(topics);
            LOG.info("{} embedding inputs: {}", inputs, results.summary());
            assertThat(results.deadLetters()).isEmpty();
            assertThat(results.completions().keySet()).containsExactlyInAnyOrderElementsOf(ids("e-", inputs));
            assertThat(server.tasksStarted()).as("inputs the server embedded, once each").isEqualTo(inputs);
            for (int i = 0; i < inputs; i++) {
                JsonNode completion = results.completions().get("e-" + i);
                assertThat(completion.path("model").asText()).isEqualTo("emb");
                assertThat(completion.has("content")).isFalse();
                assertThat(completion.path("embedding")).as("e-%d", i).hasSize(TinyGgufModel.EMBEDDING_LENGTH);
                assertThat(completion.path("usage").path("prompt_tokens").asInt()).as("e-%d", i).isPositive();
            }
            OpenAiCalls direct = new OpenAiCalls(server.baseUrl(), Optional.empty());
            for (int i : new int[] {0, 123, inputs - 1}) {
                JsonNode expected = direct.postOk("/embeddings", OpenAiCalls.JSON.createObjectNode()
                        .put("model", ALIAS).put("input", document(i))).path("data").path(0).path("embedding");
                JsonNode actual = results.completions().get("e-" + i).path("embedding");
                for (int d = 0; d < TinyGgufModel.EMBEDDING_LENGTH; d++) {
                    assertThat(actual.get(d).asDouble()).as("e-%d[%d], batched by the job, alone here", i, d)
                            .isCloseTo(expected.get(d).asDouble(), within(1e-4));
                }
            }
        }
    }

    /**
     * One server, two endpoints: the right key from an environment variable, a wrong one from a mounted file.
     * A 401 takes the wrong endpoint's only key out, so the prompts behind it fail at once without a request.
     */
    @Test
    void theRightKeyIsAnsweredAndAWrongOneEndsAsAuthDeadLetters() throws Exception {
        int prompts = 40;
        String key = "llama-key-7f3a";
        String wrongKey = "not-the-llama-key";
        Path wrongKeyFile = Files.writeString(dir.resolve("wrong-key"), wrongKey);
        Topics topics = Topics.create("keys");
        try (LlamaServer server = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS).withApiKey(key))) {
            TopicWriter.write(kafka.bootstrapServers(), topics.input(), prompts, i -> "{\"id\": \"k-" + i
                    + "\", \"model\": \"" + (i % 2 == 0 ? "tiny" : "tiny-wrong-key") + "\", \"prompt\": \"Key "
                    + i + "\", \"max_tokens\": 16}");

            KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), Map.of("LLAMA_API_KEY", key)::get,
                    topics.yaml(),
                    "endpoints: {llama: {base-url: '" + server.baseUrl() + "', api-keys: ['${LLAMA_API_KEY}']}, "
                            + "llama-wrong: {base-url: '" + server.baseUrl() + "', api-keys: ['${file:"
                            + wrongKeyFile + "}']}}",
                    "models: {tiny: {endpoint: llama}, tiny-wrong-key: {endpoint: llama-wrong, name: " + ALIAS
                            + "}}");

            Results results = Results.read(topics);
            LOG.info("{} prompts, half with a wrong key: {}", prompts, results.summary());
            List<String> even = new ArrayList<>();
            List<String> odd = new ArrayList<>();
            ids("k-", prompts).forEach(id -> (Integer.parseInt(id.substring(2)) % 2 == 0 ? even : odd).add(id));
            assertThat(results.completions().keySet()).containsExactlyInAnyOrderElementsOf(even);
            assertThat(results.deadLetters().keySet()).containsExactlyInAnyOrderElementsOf(odd);
            assertThat(results.completions().values()).allSatisfy(completion -> assertThat(completion.path("usage")
                    .path("completion_tokens").asInt()).isEqualTo(16));
            int refusedByTheServer = 0;
            for (JsonNode deadLetter : results.deadLetters().values()) {
                assertThat(deadLetter.path("error").path("kind").asText()).isEqualTo("auth");
                assertThat(deadLetter.path("model").asText()).isEqualTo("tiny-wrong-key");
                assertThat(deadLetter.toString()).doesNotContain(wrongKey, key);
                if (deadLetter.path("attempts").asInt() == 0) {
                    assertThat(deadLetter.path("error").path("message").asText())
                            .isEqualTo("every API key of endpoint llama-wrong was refused by the provider");
                    continue;
                }
                refusedByTheServer++;
                assertThat(deadLetter.path("attempts").asInt()).as("a wrong key is final").isEqualTo(1);
                assertThat(deadLetter.path("error").path("status").asInt()).isEqualTo(401);
                assertThat(deadLetter.path("key_id").asText()).isEqualTo("llama-wrong#1");
            }
            assertThat(refusedByTheServer).as("prompts the server itself refused").isPositive();
            assertThat(server.tasksStarted()).as("chats served: those with the right key").isEqualTo(prompts / 2);
        }
    }

    /**
     * call.capacity (100) prompts at once would queue 98 inside a 2-slot server, each waiting for a slot for
     * many service times. The adaptive limit finds the server's concurrency from the time to the first token:
     * the server's queue stays short, the time to the first token stays near the unloaded one, and no
     * request that waits its turn is mistaken for hung and asked again.
     */
    @Test
    void aQueueDeeperThanTheSlotsIsServedOnceEachWithoutWaitingInTheServer() throws Exception {
        int prompts = 300;
        IntUnaryOperator maxTokens = i -> 64 + i % 65;
        Topics topics = Topics.create("queue");
        try (LlamaServer server = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS).withSlots(2))) {
            double unloadedMillis = unloadedFirstTokenMillis(server, 128);
            TopicWriter.write(kafka.bootstrapServers(), topics.input(), prompts, i -> "{\"id\": \"q-" + i
                    + "\", \"prompt\": \"Queue item " + i + "\", \"max_tokens\": " + maxTokens.applyAsInt(i) + "}");
            long servedBefore = server.tasksStarted();
            long predictedBefore = (long) server.metric("llamacpp:tokens_predicted_total");

            long started = System.nanoTime();
            long deepestQueue;
            try (QueueWatch queue = QueueWatch.start(server)) {
                KafkaJobRuns.runBoundedFailingOnError(kafka.bootstrapServers(), NO_ENVIRONMENT, topics.yaml(),
                        endpoint("llama", server.baseUrl()), "models: {tiny: {endpoint: llama}}");
                deepestQueue = queue.deepest();
            }
            long runMillis = (System.nanoTime() - started) / 1_000_000;

            Results results = Results.read(topics);
            List<Long> firstTokens = new ArrayList<>();
            results.completions().values().forEach(c -> firstTokens.add(c.path("first_token_ms").asLong()));
            firstTokens.sort(null);
            long p50 = percentile(firstTokens, 0.50);
            long served = server.tasksStarted() - servedBefore;
            LOG.info("{} prompts on 2 slots in {} ms: {}; unloaded first token {} ms, the job's first_token_ms p50 "
                    + "{}, p95 {}, max {}; chat requests served {}; deepest server queue seen {}", prompts, runMillis,
                    results.summary(), String.format("%.2f", unloadedMillis), p50, percentile(firstTokens, 0.95),
                    percentile(firstTokens, 1.0), served, deepestQueue);

            assertThat(results.deadLetters()).isEmpty();
            assertThat(results.completions().keySet()).containsExactlyInAnyOrderElementsOf(ids("q-", prompts));
            long completionTokens = 0;
            for (int i = 0; i < prompts; i++) {
                assertThat(results.completions().get("q-" + i).path("usage").path("completion_tokens").asInt())
                        .as("q-%d", i).isEqualTo(maxTokens.applyAsInt(i));
                completionTokens += maxTokens.applyAsInt(i);
            }
            assertThat(results.attempts()).as("completions by attempts: none asked twice")
                    .isEqualTo(Map.of(1, prompts));
            assertThat(served).as("chat requests the server served").isEqualTo(prompts);
            assertThat((long) server.metric("llamacpp:tokens_predicted_total") - predictedBefore)
                    .as("tokens the server generated: each prompt's max_tokens, once").isEqualTo(completionTokens);
            assertThat((double) p50).as("median first_token_ms against the unloaded %.2f ms", unloadedMillis)
                    .isLessThanOrEqualTo(3 * unloadedMillis + 5);
            assertThat(deepestQueue).as("requests waiting inside the server for a slot, at most what the adaptive "
                    + "limit's first guess (%d in flight) leaves waiting", ADAPTIVE_START)
                    .isLessThanOrEqualTo(ADAPTIVE_START - 2);
        }
    }

    /**
     * The server is killed mid-run and started again on its port a few seconds later: the prompts in flight
     * and those that come while it is down are retried or wait behind the open circuit, and every prompt ends
     * as exactly one completion or one dead letter.
     */
    @Test
    void aServerKilledAndRestartedMidRunLosesNoPromptAndDuplicatesNone() throws Exception {
        int prompts = 400;
        Topics topics = Topics.create("restart");
        LlamaServer first = LlamaServer.start(install, LlamaServerOptions.chat(model, ALIAS));
        try (first) {
            TopicWriter.write(kafka.bootstrapServers(), topics.input(), prompts, i -> "{\"id\": \"r-" + i
                    + "\", \"prompt\": \"Restart item " + i + "\", \"max_tokens\": " + (64 + i % 65) + "}");

            JobClient job = KafkaJobRuns.startBounded(kafka.bootstrapServers(), NO_ENVIRONMENT, topics.yaml(),
                    endpoint("llama", first.baseUrl()), "models: {tiny: {endpoint: llama}}");
            try {
                int beforeKill = awaitRecords(topics.output(), 100);
                first.kill();
                long killedAt = System.nanoTime();
                // The outage itself: the job meets refused connections for this long.
                Thread.sleep(3_000);
                try (LlamaServer second = first.restart()) {
                    long downMillis = (System.nanoTime() - killedAt) / 1_000_000;
                    job.getJobExecutionResult().get(2, TimeUnit.MINUTES);

                    Results results = Results.read(topics);
                    long servedFirst = first.tasksStarted();
                    long servedSecond = second.tasksStarted();
                    LOG.info("Killed after {} completions, down {} ms: {}; the server served {} chats before the kill "
                            + "and {} after the restart", beforeKill, downMillis, results.summary(), servedFirst,
                            servedSecond);

                    Set<String> both = new HashSet<>(results.completions().keySet());
                    both.retainAll(results.deadLetters().keySet());
                    assertThat(both).as("prompts that ended both as a completion and as a dead letter").isEmpty();
                    Set<String> ended = new HashSet<>(results.completions().keySet());
                    ended.addAll(results.deadLetters().keySet());
                    assertThat(ended).as("every prompt ended").containsExactlyInAnyOrderElementsOf(ids("r-", prompts));
                    assertThat(results.completions().size()).as("prompts answered, most of them after the restart")
                            .isGreaterThan(prompts * 3 / 4);
                    assertThat(servedSecond).as("after the restart, each prompt still open asked once at most")
                            .isLessThanOrEqualTo(prompts - beforeKill);
                    assertThat(results.completions().values()).allSatisfy(completion -> assertThat(completion
                            .path("usage").path("completion_tokens").asInt()).isBetween(64, 128));
                }
            } finally {
                if (!job.getJobStatus().get().isGloballyTerminalState()) {
                    job.cancel().get(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * The median time to the first token of a few streams sent one at a time to an idle server, after three
     * to warm it up. Each goes on a connection of its own, as llama-server closes the one of a streamed answer.
     */
    private static double unloadedFirstTokenMillis(LlamaServer server, int maxTokens) throws Exception {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            OpenAiCalls.StreamedAnswer answer = new OpenAiCalls(server.baseUrl(), Optional.empty())
                    .stream(OpenAiCalls.streamed(OpenAiCalls.chat(ALIAS, "Unloaded " + i, maxTokens))).get();
            assertThat(answer.status()).isEqualTo(200);
            if (i >= 3) {
                millis.add(answer.firstToken().toNanos() / 1e6);
            }
        }
        millis.sort(null);
        LOG.info("Unloaded time to the first token, {} streams one at a time (ms): {}", millis.size(), millis);
        return millis.get(millis.size() / 2);
    }

    /** Waits until a topic holds {@code atLeast} records; returns how many it saw. */
    private static int awaitRecords(String topic, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int seen = 0;
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), List.of(topic), false)) {
            while (seen < atLeast && System.nanoTime() < deadline) {
                seen += reader.poll(Duration.ofMillis(50)).size();
            }
        }
        assertThat(seen).as("records in %s", topic).isGreaterThanOrEqualTo(atLeast);
        return seen;
    }

    /** The value at {@code share} of a sorted list, by the nearest rank. */
    private static long percentile(List<Long> sorted, double share) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.max(0, (int) Math.ceil(share * sorted.size()) - 1));
    }

    private static String document(int i) {
        return "Document " + i + " about topic " + i % 37;
    }

    private static List<String> ids(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    private static String endpoint(String name, String baseUrl) {
        return "endpoints: {" + name + ": {base-url: '" + baseUrl + "'}}";
    }

    /** One test's own input, output, dead-letter and metrics topics and consumer group. */
    private record Topics(String prefix) {
        static Topics create(String prefix) {
            Topics topics = new Topics(prefix);
            kafka.createTopic(topics.input(), 2);
            for (String topic : List.of(topics.output(), topics.deadLetter(), prefix + "-metrics")) {
                kafka.createTopic(topic, 1);
            }
            return topics;
        }

        String input() {
            return prefix + "-prompts";
        }

        String output() {
            return prefix + "-completions";
        }

        String deadLetter() {
            return prefix + "-dlq";
        }

        String yaml() {
            return "kafka: {group-id: " + prefix + ", topics: {input: " + input() + ", output: " + output()
                    + ", dead-letter: " + deadLetter() + ", metrics: " + prefix + "-metrics}}";
        }
    }

    /** What a run wrote: its completions and dead letters by id, no id twice in either topic. */
    private record Results(Map<String, JsonNode> completions, Map<String, JsonNode> deadLetters) {
        static Results read(Topics topics) throws Exception {
            return new Results(KafkaJobRuns.readAll(kafka.bootstrapServers(), topics.output()),
                    KafkaJobRuns.readAll(kafka.bootstrapServers(), topics.deadLetter()));
        }

        /** How many completions took how many attempts. */
        Map<Integer, Integer> attempts() {
            Map<Integer, Integer> byAttempts = new TreeMap<>();
            completions.values().forEach(c -> byAttempts.merge(c.path("attempts").asInt(), 1, Integer::sum));
            return byAttempts;
        }

        /** How many dead letters of which kind, after how many attempts. */
        Map<String, Integer> deadLetterKinds() {
            Map<String, Integer> byKind = new TreeMap<>();
            deadLetters.values().forEach(d -> byKind.merge(d.path("error").path("kind").asText() + " after "
                    + d.path("attempts").asInt() + " attempts", 1, Integer::sum));
            return byKind;
        }

        String summary() {
            return completions.size() + " completions (by attempts " + attempts() + "), " + deadLetters.size()
                    + " dead letters " + deadLetterKinds();
        }
    }

    /**
     * Samples the server's {@code llamacpp:requests_deferred} (requests waiting for a slot) every 20 ms while
     * a run lasts. Samples can miss a peak, so the deepest seen is at most the deepest there was.
     */
    private static final class QueueWatch implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong deepest = new AtomicLong();
        private final Thread thread;

        private QueueWatch(LlamaServer server) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        deepest.accumulateAndGet((long) server.metric("llamacpp:requests_deferred"), Math::max);
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        LOG.warn("Cannot read the queue of {}: {}", server, e.toString());
                        return;
                    }
                }
            }, "llama-queue-watch");
            thread.setDaemon(true);
        }

        static QueueWatch start(LlamaServer server) {
            QueueWatch watch = new QueueWatch(server);
            watch.thread.start();
            return watch;
        }

        long deepest() {
            return deepest.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.interrupt();
            thread.join(5_000);
        }
    }
}
