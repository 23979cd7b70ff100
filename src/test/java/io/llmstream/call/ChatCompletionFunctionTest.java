package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.limit.Ticket;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The call stage in Flink's async operator harness, against the mock over real sockets. */
class ChatCompletionFunctionTest {
    private static final long OPERATOR_TIMEOUT_MS = 60_000;
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(5).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig config(String baseUrl, String call) {
        return TestConfigs.withEndpoint(baseUrl, "models: {m1: {endpoint: mock}}",
                "call: {timeout: 5s, attempt-timeout: 300ms, retry: {max-attempts: 3, initial-backoff: 10ms, "
                        + "max-backoff: 50ms}}",
                call);
    }

    private static Supplier<ParsedInput> queued(String id, String prompt) {
        return () -> queuedNow(id, prompt);
    }

    private static ParsedInput queuedNow(String id, String prompt) {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}]}";
        String input = "{\"prompt\": \"" + prompt + "\"}";
        LlmRequest request = new LlmRequest(id, "m1", 0, body, null, 10, 0, input, input.getBytes(StandardCharsets.UTF_8).length,
                System.currentTimeMillis(), new SourcePosition("prompts", 0, 7));
        return ParsedInput.valid(request);
    }

    private static OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness(LlmStreamConfig config)
            throws Exception {
        OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness = new OneInputStreamOperatorTestHarness<>(
                CallStageHarness.factory(new ChatCompletionFunction(config), OPERATOR_TIMEOUT_MS, 10, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    /**
     * Sends the requests, waits for all of them (endInput drains the operator) and returns the results.
     * The requests are made after the operator opened, as the Kafka source makes them.
     */
    @SafeVarargs
    private static List<CallResult> call(LlmStreamConfig config, Supplier<ParsedInput>... requests) throws Exception {
        try (var harness = harness(config)) {
            for (Supplier<ParsedInput> request : requests) {
                harness.processElement(new StreamRecord<>(request.get(), 0));
            }
            harness.endInput();
            return results(harness);
        }
    }

    private static List<CallResult> results(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness) {
        List<CallResult> results = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord) {
                results.add((CallResult) ((StreamRecord<?>) element).getValue());
            }
        }
        return results;
    }

    @Test
    void answersWithTheCompletionAndItsUsage() throws Exception {
        List<CallResult> results = call(config(mock.baseUrl(), ""), queued("a", "What is Flink?"));

        Completion completion = results.get(0).completion();
        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("What is Flink?"));
        assertThat(completion.finishReason()).isEqualTo("stop");
        assertThat(completion.attempts()).isEqualTo(1);
        assertThat(completion.promptTokens()).isPositive();
        assertThat(completion.totalTokens()).isEqualTo(completion.promptTokens() + completion.completionTokens());
        assertThat(results.get(0).metric().succeeded()).isTrue();
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        String prompt = "[[mock:503x1,502x1]] flaky " + System.nanoTime();
        long before = mock.stats().requests();

        Completion completion = call(config(mock.baseUrl(), ""), queued("b", prompt)).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(3);
        assertThat(mock.stats().requests() - before).isEqualTo(3);
    }

    @Test
    void givesUpAfterTheLastAttemptWithTheLastError() throws Exception {
        String prompt = "[[mock:500x*]] broken " + System.nanoTime();

        DeadLetter deadLetter = call(config(mock.baseUrl(), ""), queued("c", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(deadLetter.status()).isEqualTo(500);
        assertThat(deadLetter.attempts()).isEqualTo(3);
        assertThat(deadLetter.keyId()).isEqualTo("mock#1");
        assertThat(deadLetter.input()).contains("broken");
    }

    @Test
    void doesNotRetryAFinalError() throws Exception {
        String prompt = "[[mock:400]] wrong " + System.nanoTime();
        long before = mock.stats().requests();

        DeadLetter deadLetter = call(config(mock.baseUrl(), ""), queued("d", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(deadLetter.attempts()).isEqualTo(1);
        assertThat(mock.stats().requests() - before).isEqualTo(1);
    }

    @Test
    void aRateLimitSpendsNoAttempt() throws Exception {
        // max-attempts is 3 here: four 429s and two 500s still end in an answer.
        String prompt = "[[mock:429(retry-after-ms=20)x4,500x2]] congested " + System.nanoTime();
        long before = mock.stats().requests();

        CallResult result = call(config(mock.baseUrl(), ""), queued("rl", prompt)).get(0);

        assertThat(result.completion()).as(String.valueOf(result.deadLetter())).isNotNull();
        assertThat(result.completion().attempts()).isEqualTo(7);
        assertThat(result.metric().rateLimitedResponses()).isEqualTo(4);
        assertThat(mock.stats().requests() - before).isEqualTo(7);
    }

    @Test
    void waitsWhatRetryAfterMillisecondsAsks() throws Exception {
        String prompt = "[[mock:429(retry-after-ms=400)]] throttled " + System.nanoTime();
        long started = System.nanoTime();

        CallResult result = call(config(mock.baseUrl(), ""), queued("e", prompt)).get(0);

        assertThat(result.completion().attempts()).isEqualTo(2);
        assertThat(result.metric().rateLimitedResponses()).isEqualTo(1);
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(400);
    }

    @Test
    void waitsWhatRetryAfterSecondsAsks() throws Exception {
        String prompt = "[[mock:429(retry-after=1)]] throttled in seconds " + System.nanoTime();
        long started = System.nanoTime();

        CallResult result = call(config(mock.baseUrl(), ""), queued("e2", prompt)).get(0);

        assertThat(result.completion().attempts()).isEqualTo(2);
        assertThat(result.metric().rateLimitedResponses()).isEqualTo(1);
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void waitsUntilTheHttpDateThatRetryAfterNames() throws Exception {
        String prompt = "[[mock:503(retry-after=date+2)]] back at a date " + System.nanoTime();
        long started = System.nanoTime();

        CallResult result = call(config(mock.baseUrl(), ""), queued("e3", prompt)).get(0);

        assertThat(result.completion().attempts()).isEqualTo(2);
        // The date is rounded up to a whole second by the mock and the wait is counted from the answer's
        // arrival, so at least one full second passes (two at most, plus the call itself).
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(1000);
    }

    /** Every error class: the attempts the client makes and the mock sees, and the dead letter's kind. */
    @ParameterizedTest(name = "{0} -> {1} attempts, {2}")
    @CsvSource({
            "500x*, 3, SERVER_ERROR",
            "502x*, 3, SERVER_ERROR",
            "503x*, 3, SERVER_ERROR",
            "504x*, 3, SERVER_ERROR",
            "408x*, 3, TIMEOUT",
            "409x*, 3, SERVER_ERROR",
            "resetx*, 3, CONNECTION",
            "400x*, 1, BAD_REQUEST",
            "404x*, 1, NOT_FOUND",
            "422x*, 1, BAD_REQUEST",
            "context_length_exceededx*, 1, CONTEXT_LENGTH_EXCEEDED",
            "insufficient_quotax*, 1, QUOTA_EXCEEDED",
            "401x*, 1, AUTH",
    })
    void retriesOnlyTheRetryableErrorClasses(String steps, int attempts, ErrorKind kind) throws Exception {
        String prompt = "[[mock:" + steps + "]] class " + System.nanoTime();
        long before = mock.stats().requests();

        DeadLetter deadLetter = call(config(mock.baseUrl(), ""), queued("k", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(kind);
        assertThat(deadLetter.attempts()).isEqualTo(attempts);
        assertThat(mock.stats().requests() - before).as("requests the mock saw").isEqualTo(attempts);
    }

    /**
     * Errors that come inside a 200 answer (an event of the stream, or the plain body), as some servers and
     * gateways send them, are classified as the HTTP errors they stand for: a refused prompt is final at the
     * first answer, a server error is retried, a refused key is the key's problem.
     */
    @ParameterizedTest(name = "{0}, stream {1} -> {2} attempts, {3}")
    @CsvSource({
            "flagged(in-200)x*, true, 1, BAD_REQUEST, 400",
            "flagged(in-200)x*, false, 1, BAD_REQUEST, 400",
            "400(in-200)x*, true, 1, BAD_REQUEST, 400",
            "422(in-200)x*, true, 1, BAD_REQUEST, 400",
            "404(in-200)x*, true, 1, NOT_FOUND, 404",
            "401(in-200)x*, true, 1, AUTH, 401",
            "403(in-200)x*, false, 1, AUTH, 403",
            "insufficient_quota(in-200)x*, true, 1, QUOTA_EXCEEDED, 429",
            "500(in-200)x*, true, 3, SERVER_ERROR, 500",
            "503(in-200)x*, false, 3, SERVER_ERROR, 500",
    })
    void classifiesAnErrorInsideA200AnswerAsTheErrorItStandsFor(String steps, boolean stream, int attempts,
            ErrorKind kind, int status) throws Exception {
        String prompt = "[[mock:" + steps + "]] in band " + stream + " " + System.nanoTime();
        long before = mock.stats().requests();

        DeadLetter deadLetter = call(config(mock.baseUrl(), "endpoints: {mock: {stream: " + stream + "}}"),
                queued("ib", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(kind);
        assertThat(deadLetter.status()).as("the status the error stands for").isEqualTo(status);
        assertThat(deadLetter.attempts()).isEqualTo(attempts);
        assertThat(deadLetter.message()).contains("of a 200 answer");
        assertThat(mock.stats().requests() - before).as("requests the mock saw").isEqualTo(attempts);
    }

    /**
     * A server that closes its connection after an answer without saying so (llama.cpp's llama-server does after
     * every stream): the next request on that pooled connection fails before the server sees it. It is sent again
     * at once on a new connection, as no attempt, and later answers from that server are not pooled.
     */
    @ParameterizedTest(name = "stream {0}")
    @ValueSource(booleans = {true, false})
    void aRequestOnAConnectionTheServerClosedUnannouncedIsSentAgainAsNoAttempt(boolean stream) throws Exception {
        LlmStreamConfig oneAtATime = config(mock.baseUrl(), "models: {m1: {endpoint: mock, concurrency: 1}}\n"
                + "endpoints: {mock: {stream: " + stream + "}}");
        long before = mock.stats().requests();

        List<CallResult> results = call(oneAtATime, queued("c1", "[[mock:closes]] closing " + System.nanoTime()),
                queued("c2", "after the close " + System.nanoTime()), queued("c3", "and again " + System.nanoTime()));

        assertThat(results).hasSize(3).allSatisfy(result -> {
            assertThat(result.completion()).as(String.valueOf(result.deadLetter())).isNotNull();
            assertThat(result.completion().attempts()).as("the dropped request was no attempt").isEqualTo(1);
        });
        assertThat(mock.stats().requests() - before).as("requests the server saw").isEqualTo(3);
    }

    @Test
    void aRateLimitInsideAStreamWaitsAndSpendsNoAttempt() throws Exception {
        String prompt = "[[mock:429(in-200)x4]] congested in band " + System.nanoTime();

        CallResult result = call(config(mock.baseUrl(), ""), queued("rl-ib", prompt)).get(0);

        assertThat(result.completion()).as(String.valueOf(result.deadLetter())).isNotNull();
        assertThat(result.completion().attempts()).isEqualTo(5);
        assertThat(result.metric().rateLimitedResponses()).isEqualTo(4);
    }

    @ParameterizedTest(name = "{0} then success")
    @ValueSource(strings = {"500x2", "503x1,502x1", "resetx2", "408x1,409x1", "hangx1,500x1", "no_choicesx1,500x1"})
    void succeedsAfterRetryableFailures(String steps) throws Exception {
        String prompt = "[[mock:" + steps + "]] recovers " + System.nanoTime();
        long before = mock.stats().requests();

        Completion completion = call(config(mock.baseUrl(), ""), queued("l", prompt)).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(3);
        assertThat(mock.stats().requests() - before).as("requests the mock saw").isEqualTo(3);
    }

    @Test
    void deadLettersWhenTheDeadlineExpiresDuringRetries() throws Exception {
        LlmStreamConfig patient = TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock}}",
                "call: {timeout: 1s, attempt-timeout: 300ms, retry: {max-attempts: 100, initial-backoff: 100ms, "
                        + "max-backoff: 200ms}}");
        String prompt = "[[mock:503x*]] never better " + System.nanoTime();

        DeadLetter deadLetter = call(patient, queued("m", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        // It gives up when the deadline passed, or as soon as the next backoff would end past it.
        assertThat(deadLetter.message()).containsAnyOf("(gave up: call.timeout (1s) passed)",
                "(gave up: the next attempt could go only after call.timeout)");
        assertThat(deadLetter.attempts()).as("far fewer than max-attempts").isBetween(2, 20);
        assertThat(deadLetter.elapsedMs()).as("the last attempt is cut to the deadline").isLessThan(1500);
    }

    @Test
    void retriesAHungAttemptAfterTheAttemptTimeout() throws Exception {
        String prompt = "[[mock:hang]] slow " + System.nanoTime();

        Completion completion = call(config(mock.baseUrl(), ""), queued("f", prompt)).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(2);
        assertThat(completion.latencyMs()).isGreaterThanOrEqualTo(300);
    }

    @Test
    void retriesMalformedBodiesThenDeadLettersThemWithTheBodysStart() throws Exception {
        String prompt = "[[mock:malformedx*]] garbled " + System.nanoTime();

        DeadLetter deadLetter = call(config(mock.baseUrl(), ""), queued("g", prompt)).get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.MALFORMED_RESPONSE);
        assertThat(deadLetter.attempts()).as("call.retry.malformed-attempts, 2 by default").isEqualTo(2);
        // The answer is streamed: one of its events is a chunk cut in half.
        assertThat(deadLetter.message()).matches("event \\d+ of the stream is not JSON; it starts with: \\{.*")
                .endsWith("(gave up: call.retry.malformed-attempts (2) reached)");
    }

    @Test
    void aRefusedConnectionEndsAsAConnectionDeadLetter() throws Exception {
        DeadLetter deadLetter = call(config("http://127.0.0.1:9/v1", ""), queued("h", "anyone?"))
                .get(0).deadLetter();

        assertThat(deadLetter.kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(deadLetter.attempts()).isEqualTo(3);
    }

    /** The dispatcher of m1 in the harness's call stage, with its one request of the day spent. */
    private static ModelDispatcher spentDispatcher(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness) {
        ModelDispatcher dispatcher = CallStageHarness.dispatcher(harness, "m1");
        dispatcher.submit(new Ticket(0, 1, 1, 1, 0, 0, new Ticket.Admission() {
            @Override
            public void admitted(int keyIndex, long waitedMicros) {}

            @Override
            public void refused(String reason) {}
        }));
        return dispatcher;
    }

    @Test
    @Timeout(30)
    void theOperatorTimeoutBecomesADeadLetterInsteadOfFailingTheJob() throws Exception {
        LlmStreamConfig daily = TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock, rpd: 1}}");
        try (var harness = harness(daily)) {
            harness.setProcessingTime(0);
            // One request a day, already used: the request waits for budget past the operator's timeout.
            ModelDispatcher dispatcher = spentDispatcher(harness);
            harness.processElement(new StreamRecord<>(queuedNow("i", "later"), 0));
            assertThat(dispatcher.waiting()).isEqualTo(1);
            assertThat(harness.getOutput()).isEmpty();

            harness.setProcessingTime(OPERATOR_TIMEOUT_MS + 1);
            harness.endInput();

            List<CallResult> results = results(harness);
            assertThat(results).hasSize(1);
            CallResult result = results.get(0);
            assertThat(result.deadLetter().kind()).isEqualTo(ErrorKind.TIMEOUT);
            assertThat(result.deadLetter().message()).startsWith("no result within the async operator's timeout");
        }
    }

    @Test
    void movesTrafficOffAKeyTheProviderRefuses() throws Exception {
        try (MockLlmServer strict = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2)
                .apiKeys(List.of("good", "revoked")).revokedKeys(List.of("revoked")).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(strict.baseUrl(), "models: {m1: {endpoint: mock}}",
                    "endpoints: {mock: {api-keys: [good, revoked]}}");
            List<Supplier<ParsedInput>> requests = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                requests.add(queued("k" + i, "key pool " + i));
            }

            @SuppressWarnings("unchecked")
            List<CallResult> results = call(config, requests.toArray(new Supplier[0]));

            assertThat(results).allSatisfy(result -> assertThat(result.completion()).isNotNull());
            assertThat(strict.stats().keyModel("good", "m1").admitted()).isEqualTo(20);
            // Requests already sent on the revoked key before its first 401 came back are refused too; each
            // moves to the good key, and nothing more goes to the revoked one.
            assertThat(strict.stats().status(401)).isBetween(1L, 10L);
            assertThat(results).allSatisfy(result -> assertThat(result.completion().attempts()).isLessThanOrEqualTo(2));
        }
    }

    @Test
    void givesUpWithAnAuthDeadLetterWhenEveryKeyIsRefused() throws Exception {
        try (MockLlmServer strict = MockLlmServer.start(MockOptions.builder().port(0)
                .apiKeys(List.of("good")).revokedKeys(List.of("old")).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(strict.baseUrl(), "models: {m1: {endpoint: mock}}",
                    "endpoints: {mock: {api-keys: [old]}}");

            DeadLetter deadLetter = call(config, queued("x", "nobody home")).get(0).deadLetter();

            assertThat(deadLetter.kind()).isEqualTo(ErrorKind.AUTH);
            assertThat(deadLetter.status()).isEqualTo(401);
            assertThat(deadLetter.keyId()).isEqualTo("mock#1");
            assertThat(deadLetter.message()).doesNotContain("old");
        }
    }

    @Test
    void pacesRequestsThroughTheModelsBudget() throws Exception {
        LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(),
                "models: {m1: {endpoint: mock, rpm: 300, burst: 0s, headroom: 0}}");
        long started = System.nanoTime();

        List<CallResult> results = call(config, queued("p1", "one"), queued("p2", "two"), queued("p3", "three"));

        assertThat(results).extracting(result -> result.completion().id()).containsExactly("p1", "p2", "p3");
        // The budget runs on the wall clock, this measure on the monotonic one: a few ms apart on a busy machine.
        assertThat((System.nanoTime() - started) / 1_000_000).as("300 RPM spaces three requests 200 ms apart")
                .isGreaterThanOrEqualTo(370);
        assertThat(results.get(2).completion().waitMs()).isGreaterThanOrEqualTo(390);
    }
}
