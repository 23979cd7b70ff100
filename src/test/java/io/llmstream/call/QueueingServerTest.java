package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.ParsedInput;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server that queues instead of answering 429, as vLLM, TGI, Ollama and llama.cpp do (the mock's
 * {@code --slots}), in the call stage's harness over real sockets: the adaptive concurrency keeps the
 * requests at the server near its slots, and a request that waits in the server's queue is not taken for
 * hung and asked again.
 */
class QueueingServerTest {
    private static final long OPERATOR_TIMEOUT_MS = 300_000;

    private static List<ParsedInput> prompts(String tag, int count) {
        List<ParsedInput> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            prompts.add(CallStageHarness.queued(tag + i, "Queue " + tag + " prompt " + i));
        }
        return prompts;
    }

    private static List<Long> sortedFirstTokens(List<CallResult> results) {
        return results.stream().map(CallResult::completion).map(Completion::firstTokenMs).sorted().toList();
    }

    @Test
    @Timeout(180)
    void theAdaptiveConcurrencyKeepsTheServersQueueShortAndAsksNothingTwice() throws Exception {
        // First token after 10 ms, then 5 ms a token: a generation of ~100 ms, as a server's answers take
        // longer to generate than to start. Capacity 100 without the adaptive limit would keep 98 in the
        // server's queue, each first token seconds away.
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(10).latencySigma(0)
                .msPerToken(5).slots(2).build())) {
            // The server's own time to first token, measured as the job sees it: one request at a time.
            List<Long> alone = sortedFirstTokens(CallStageHarness.run(TestConfigs.withEndpoint(server.baseUrl(),
                    "models: {m1: {endpoint: mock, concurrency: 1}}"), OPERATOR_TIMEOUT_MS, 100,
                    AsyncDataStream.OutputMode.UNORDERED, prompts("alone", 10)));
            long unloaded = alone.get(alone.size() / 2);
            long before = server.stats().requests();
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(), "models: {m1: {endpoint: mock}}");

            List<CallResult> results = CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, 100,
                    AsyncDataStream.OutputMode.UNORDERED, prompts("a", 400));

            MockStats stats = server.stats();
            assertThat(results).hasSize(400).allSatisfy(result -> assertThat(result.completion()).isNotNull());
            assertThat(stats.requests() - before).as("requests the server saw: none asked twice").isEqualTo(400);
            assertThat(results).allSatisfy(result -> assertThat(result.completion().attempts()).isEqualTo(1));
            // Once settled (the second half, in the order answered), the median first token is within three
            // times the server's own.
            List<Long> settled = results.subList(200, 400).stream().map(result -> result.completion().firstTokenMs())
                    .sorted().toList();
            assertThat(settled.get(settled.size() / 2)).as("median time to first token once settled, ms, against "
                    + unloaded + " ms alone; all: " + settled).isLessThanOrEqualTo(3 * unloaded);
        }
    }

    @Test
    @Timeout(120)
    void aRequestQueuedAtAServerThatKeepsAnsweringIsNotAbortedAsHung() throws Exception {
        // A fixed concurrency of 12 against one slot of 150 ms: the last in line wait ~1.7 s for their first
        // token, longer than the 1 s first-token wait; the server answers one request every 150 ms meanwhile.
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(150).latencySigma(0)
                .slots(1).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(),
                    "models: {m1: {endpoint: mock, concurrency: 12}}",
                    "call: {first-token-timeout: 1s, attempt-timeout: 30s, timeout: 60s}");

            List<CallResult> results = CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, 100,
                    AsyncDataStream.OutputMode.UNORDERED, prompts("b", 36));

            assertThat(results).hasSize(36).allSatisfy(result -> assertThat(result.completion()).isNotNull());
            assertThat(server.stats().requests()).as("requests the server saw: none aborted and asked again")
                    .isEqualTo(36);
            List<Long> firstTokens = sortedFirstTokens(results);
            assertThat(firstTokens.get(firstTokens.size() - 1)).as("the last in line waited past the 1 s wait")
                    .isGreaterThan(1000);
        }
    }

    @Test
    @Timeout(60)
    void aServerThatStopsAnsweringIsStillCaughtAtTheFirstTokenWait() throws Exception {
        // Every request hangs: nothing is answered, so nothing is queued either.
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(20).latencySigma(0)
                .slots(2).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(),
                    "models: {m1: {endpoint: mock, concurrency: 4}}",
                    "call: {first-token-timeout: 1s, attempt-timeout: 4s, timeout: 10s, "
                            + "retry: {max-attempts: 2, initial-backoff: 10ms, max-backoff: 20ms}}");
            List<ParsedInput> hung = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                hung.add(CallStageHarness.queued("h" + i, "[[mock:hangx*]] silent " + i + " " + System.nanoTime()));
            }
            long started = System.nanoTime();

            List<CallResult> results = CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, 100,
                    AsyncDataStream.OutputMode.UNORDERED, hung);

            assertThat(results).hasSize(4).allSatisfy(result -> {
                assertThat(result.deadLetter()).isNotNull();
                assertThat(result.deadLetter().message()).contains("the server sent nothing to any request");
            });
            assertThat((System.nanoTime() - started) / 1_000_000).as("two attempts of about 1 s each")
                    .isLessThan(4_000);
        }
    }
}
