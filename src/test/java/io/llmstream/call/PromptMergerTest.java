package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** Merged prompts in the call stage, through Flink's async harness, against the mock over real sockets. */
class PromptMergerTest {
    private static final long OPERATOR_TIMEOUT_MS = 60_000;
    /** The mock's markers ({@code MockMerge}), as any prompt text may carry them. */
    private static final String OMIT = "[[merge:omit]]";
    private static final String TWICE = "[[merge:twice]]";
    private static final String UNKNOWN_INDEX = "[[merge:unknown-index]]";
    private static final String NOT_JSON = "[[merge:not-json]]";

    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(11).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig config(String merge) {
        // The mock counts (and cuts) tokens in o200k_base: so does the model here, or a cut answer could differ
        // by a token from the mock's for some prompts (m1 would count in cl100k_base).
        return TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock, encoding: o200k_base, merge: "
                + merge + "}}",
                "call: {timeout: 10s, attempt-timeout: 2s, retry: {max-attempts: 3, initial-backoff: 10ms, "
                        + "max-backoff: 50ms}}");
    }

    /** A plain prompt with max_tokens 32, as the parse stage makes it. */
    private static ParsedInput prompt(String id, String text) {
        return request(id, "{\"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}], \"max_tokens\": 32}");
    }

    private static ParsedInput request(String id, String body) {
        return request(id, body, 32);
    }

    private static ParsedInput request(String id, String body, int maxTokens) {
        LlmRequest request = new LlmRequest(id, "m1", 0, body, "{\"n\": \"" + id + "\"}", 12, maxTokens, "{}", 2,
                System.currentTimeMillis(), new SourcePosition("prompts", 0, 1));
        return ParsedInput.valid(request);
    }

    /** Runs the requests through the call stage and returns the results by id, each id exactly once. */
    private static Map<String, CallResult> run(LlmStreamConfig config, List<ParsedInput> requests) throws Exception {
        List<CallResult> results = CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, 50,
                AsyncDataStream.OutputMode.UNORDERED, requests);
        Map<String, CallResult> byId = new HashMap<>();
        for (CallResult result : results) {
            assertThat(byId.put(result.request().id(), result)).as("a second result for " + result.request().id())
                    .isNull();
        }
        assertThat(byId).hasSize(requests.size());
        return byId;
    }

    private static List<ParsedInput> prompts(int count, Function<Integer, String> text) {
        List<ParsedInput> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(prompt("p" + i, text.apply(i)));
        }
        return requests;
    }

    private static String text(CallResult result) {
        String body = result.request().body();
        int start = body.indexOf("\"content\": \"") + 12;
        return body.substring(start, body.indexOf('"', start));
    }

    @Test
    void fullBatchesGoAsOneRequestEachAndEveryPromptGetsItsOwnAnswer() throws Exception {
        List<ParsedInput> requests = prompts(12, i -> "Name colour " + i + " of " + System.nanoTime());
        MockStats before = mock.stats();

        Map<String, CallResult> results = run(config("{max-prompts: 4, max-wait: 10s}"), requests);

        MockStats after = mock.stats();
        assertThat(after.requests() - before.requests()).isEqualTo(3);
        long promptTokens = 0;
        long completionTokens = 0;
        int attempts = 0;
        for (CallResult result : results.values()) {
            Completion completion = result.completion();
            assertThat(completion).as(String.valueOf(result.deadLetter())).isNotNull();
            assertThat(completion.content()).isEqualTo(MockAnswers.contentFor(text(result)));
            assertThat(completion.merged()).isEqualTo(4);
            assertThat(completion.finishReason()).isEqualTo("stop");
            assertThat(completion.metadata()).isEqualTo(result.request().metadata());
            assertThat(completion.attempts()).isEqualTo(1);
            assertThat(completion.promptTokens()).isPositive();
            assertThat(completion.totalTokens()).isEqualTo(completion.promptTokens() + completion.completionTokens());
            promptTokens += result.metric().promptTokens();
            completionTokens += result.metric().completionTokens();
            attempts += result.metric().attempts();
        }
        // Counted once overall: the shares add up to what the provider reported, and one attempt per request.
        assertThat(promptTokens).isEqualTo(after.promptTokens() - before.promptTokens());
        assertThat(completionTokens).isEqualTo(after.completionTokens() - before.completionTokens());
        assertThat(attempts).isEqualTo(3);
    }

    @Test
    void maxWaitSendsABatchThatDidNotFillUp() throws Exception {
        List<ParsedInput> requests = prompts(3, i -> "Name a city " + i + " " + System.nanoTime());
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 16, max-wait: 100ms}"), requests);

        assertThat(mock.stats().requests() - before).isEqualTo(1);
        assertThat(results.values()).allSatisfy(result -> assertThat(result.completion().merged()).isEqualTo(3));
    }

    @Test
    void aPromptLeftOutOfTheReplyIsAskedAgainAlone() throws Exception {
        List<ParsedInput> requests = prompts(4, i -> (i == 2 ? OMIT + " " : "") + "Name a tree " + i + " "
                + System.nanoTime());
        MockStats before = mock.stats();

        Map<String, CallResult> results = run(config("{max-prompts: 4, max-wait: 10s}"), requests);

        MockStats after = mock.stats();
        assertThat(after.requests() - before.requests()).isEqualTo(2);
        for (CallResult result : results.values()) {
            assertThat(result.completion().content()).isEqualTo(MockAnswers.contentFor(text(result)));
        }
        CallResult alone = results.get("p2");
        assertThat(alone.completion().merged()).isZero();
        assertThat(results.get("p0").completion().merged()).isEqualTo(4);
        // The merged request's tokens are counted too: with the three it answered and the one asked again.
        long promptTokens = results.values().stream().mapToLong(result -> result.metric().promptTokens()).sum();
        assertThat(promptTokens).isEqualTo(after.promptTokens() - before.promptTokens());
        assertThat(results.values().stream().mapToInt(result -> result.metric().attempts()).sum()).isEqualTo(2);
    }

    @Test
    void repeatedAndUnknownIndexesAreAskedAgainAloneNeverGivenAnotherAnswer() throws Exception {
        List<ParsedInput> requests = prompts(4, i -> (i == 1 ? TWICE + " " : i == 3 ? UNKNOWN_INDEX + " " : "")
                + "Name a river " + i + " " + System.nanoTime());
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 4, max-wait: 10s}"), requests);

        assertThat(mock.stats().requests() - before).isEqualTo(3);
        for (CallResult result : results.values()) {
            assertThat(result.completion().content()).isEqualTo(MockAnswers.contentFor(text(result)));
        }
        assertThat(results.get("p1").completion().merged()).isZero();
        assertThat(results.get("p3").completion().merged()).isZero();
        assertThat(results.get("p0").completion().merged()).isEqualTo(4);
    }

    @Test
    void aReplyThatIsNotJsonAsksEveryPromptAgainAlone() throws Exception {
        List<ParsedInput> requests = prompts(3, i -> (i == 0 ? NOT_JSON + " " : "") + "Name a lake " + i + " "
                + System.nanoTime());
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 3, max-wait: 10s}"), requests);

        assertThat(mock.stats().requests() - before).isEqualTo(4);
        for (CallResult result : results.values()) {
            assertThat(result.completion().content()).isEqualTo(MockAnswers.contentFor(text(result)));
            assertThat(result.completion().merged()).isZero();
        }
    }

    @Test
    void anAnswerLongerThanItsPromptsMaxTokensIsCutToIt() throws Exception {
        String text = "Repeat these words back: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda "
                + System.nanoTime();
        List<ParsedInput> requests = List.of(
                request("long", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}], "
                        + "\"max_tokens\": 8}", 8),
                request("short", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                        + "\"max_tokens\": 32}", 32));

        Map<String, CallResult> results = run(config("{max-prompts: 2, max-wait: 10s}"), requests);

        Completion cut = results.get("long").completion();
        assertThat(cut.merged()).isEqualTo(2);
        assertThat(cut.content()).isEqualTo(MockAnswers.contentFor(text, 8));
        assertThat(cut.finishReason()).isEqualTo("length");
        assertThat(results.get("short").completion().finishReason()).isEqualTo("stop");
    }

    @Test
    void aMergedRequestThatFailsForGoodBecomesADeadLetterForEachPrompt() throws Exception {
        // A directive in any prompt applies to the merged request that carries it.
        List<ParsedInput> requests = prompts(2, i -> (i == 0 ? "[[mock:500x*]] " : "") + "Name a hill " + i + " "
                + System.nanoTime());
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 2, max-wait: 10s}"), requests);

        assertThat(mock.stats().requests() - before).as("three attempts of the merged request, none alone")
                .isEqualTo(3);
        for (CallResult result : results.values()) {
            DeadLetter deadLetter = result.deadLetter();
            assertThat(deadLetter.kind()).isEqualTo(ErrorKind.SERVER_ERROR);
            assertThat(deadLetter.message()).startsWith("a merged request of 2 prompts failed: HTTP 500");
            assertThat(deadLetter.attempts()).isEqualTo(3);
            assertThat(deadLetter.input()).isEqualTo(result.request().input());
        }
        assertThat(results.values().stream().mapToInt(result -> result.metric().attempts()).sum()).isEqualTo(3);
    }

    @Test
    void aMergedRequestRefusedAsTooLongAsksEachPromptAlone() throws Exception {
        String tooLong = "[[mock:context_length_exceeded]] Name a sea " + System.nanoTime();
        List<ParsedInput> requests = List.of(prompt("a", tooLong), prompt("b", "Name an ocean " + System.nanoTime()));
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 2, max-wait: 10s}"), requests);

        assertThat(mock.stats().requests() - before).isEqualTo(3);
        // Alone, the first request with exactly its own text gets the directive's refusal too.
        assertThat(results.get("a").deadLetter().kind()).isEqualTo(ErrorKind.CONTEXT_LENGTH_EXCEEDED);
        assertThat(results.get("b").completion().content())
                .isEqualTo(MockAnswers.contentFor(text(results.get("b"))));
        assertThat(results.get("b").completion().merged()).isZero();
    }

    @Test
    void promptsThatCannotShareAReplyGoAloneAtOnce() throws Exception {
        String system = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
                + "{\"role\": \"user\", \"content\": \"Name a bird " + System.nanoTime() + "\"}]}";
        String stop = "{\"messages\": [{\"role\": \"user\", \"content\": \"Name a fish " + System.nanoTime() + "\"}], "
                + "\"stop\": [\"!\"]}";
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 2, max-wait: 10s}"),
                List.of(request("s", system), request("t", stop)));

        assertThat(mock.stats().requests() - before).isEqualTo(2);
        assertThat(results.values()).allSatisfy(result -> assertThat(result.completion().merged()).isZero());
    }

    @Test
    void onlyIdenticalParametersShareARequest() throws Exception {
        String cold = "{\"messages\": [{\"role\": \"user\", \"content\": \"Name a star %s\"}], \"temperature\": 0}";
        String warm = "{\"messages\": [{\"role\": \"user\", \"content\": \"Name a star %s\"}], \"temperature\": 1}";
        long before = mock.stats().requests();

        Map<String, CallResult> results = run(config("{max-prompts: 2, max-wait: 10s}"),
                List.of(request("c1", cold.formatted(System.nanoTime())), request("w1", warm.formatted(System.nanoTime())),
                        request("c2", cold.formatted(System.nanoTime())), request("w2", warm.formatted(System.nanoTime()))));

        assertThat(mock.stats().requests() - before).isEqualTo(2);
        assertThat(results.values()).allSatisfy(result -> assertThat(result.completion().merged()).isEqualTo(2));
    }

    @Test
    void underPerIdOrderTheSameIdNeverSharesARequest() throws Exception {
        String first = "First of x " + System.nanoTime();
        String second = "Second of x " + System.nanoTime();
        List<ParsedInput> requests = List.of(prompt("x", first), prompt("y", "Only y " + System.nanoTime()),
                prompt("x", second));
        long before = mock.stats().requests();

        List<CallResult> results = CallStageHarness.run(config("{max-prompts: 3, max-wait: 200ms}"),
                OPERATOR_TIMEOUT_MS, 50, AsyncDataStream.OutputMode.UNORDERED, requests);

        assertThat(mock.stats().requests() - before).as("x and y merged, then the second x alone").isEqualTo(2);
        assertThat(results.stream().filter(result -> result.request().id().equals("x"))
                .map(result -> result.completion().content()))
                .containsExactly(MockAnswers.contentFor(first), MockAnswers.contentFor(second));
    }
}
