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
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The call stage with {@code models.m1.cache} in Flink's async operator harness, against the mock over
 * real sockets: the mock's request counter says how many calls were really made.
 */
class CachedCallsTest {
    private static final long OPERATOR_TIMEOUT_MS = 60_000;
    private static final String CALL = "call: {timeout: 5s, attempt-timeout: 2s, retry: {max-attempts: 1}}";
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(11).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig cached(String modelYaml) {
        return TestConfigs.withEndpoint(mock.baseUrl(),
                "models: {m1: {endpoint: mock, cache: {ttl: 10m}" + modelYaml + "}}", CALL);
    }

    /** A request of m1 with its own id and metadata; the body is what the cache compares. */
    private static ParsedInput queued(String id, String prompt) {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"temperature\":0}";
        String input = "{\"id\":\"" + id + "\"}";
        LlmRequest request = new LlmRequest(id, "m1", 0, body, "{\"n\":\"" + id + "\"}", 10, 0, input,
                input.length(), System.currentTimeMillis(), new SourcePosition("prompts", 0, 7));
        return ParsedInput.valid(request);
    }

    private static List<CallResult> run(LlmStreamConfig config, int capacity, ParsedInput... requests)
            throws Exception {
        return CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, capacity, AsyncDataStream.OutputMode.ORDERED,
                List.of(requests));
    }

    @Test
    @Timeout(30)
    void repeatsWhileTheFirstIsInFlightWaitForItsOneCall() throws Exception {
        // The first answer takes 500 ms, so the repeats arrive while it is in flight.
        String same = "[[mock:slow(ms=500)]] same question " + System.nanoTime();
        String other = "another question " + System.nanoTime();
        long before = mock.stats().requests();

        List<CallResult> results = run(cached(""), 10, queued("a", same), queued("b", same), queued("c", other),
                queued("d", same));

        assertThat(mock.stats().requests() - before).as("requests the mock saw").isEqualTo(2);
        assertThat(results).extracting(result -> result.completion().id(), result -> result.completion().content(),
                result -> result.completion().cached(), result -> result.completion().attempts(),
                result -> result.completion().metadata()).containsExactly(
                tuple("a", MockAnswers.contentFor(same), false, 1, "{\"n\":\"a\"}"),
                tuple("b", MockAnswers.contentFor(same), true, 0, "{\"n\":\"b\"}"),
                tuple("c", MockAnswers.contentFor(other), false, 1, "{\"n\":\"c\"}"),
                tuple("d", MockAnswers.contentFor(same), true, 0, "{\"n\":\"d\"}"));
        Completion first = results.get(0).completion();
        Completion repeat = results.get(1).completion();
        assertThat(repeat.promptTokens()).isEqualTo(first.promptTokens());
        assertThat(repeat.completionTokens()).isEqualTo(first.completionTokens());
        assertThat(repeat.waitMs()).isZero();
        assertThat(repeat.latencyMs()).as("it waited for the first call").isGreaterThanOrEqualTo(300);
        assertThat(results.get(1).metric()).satisfies(metric -> {
            assertThat(metric.cached()).isTrue();
            assertThat(metric.succeeded()).isTrue();
            assertThat(metric.chargedTokens()).isZero();
            assertThat(metric.keyId()).isNull();
            assertThat(metric.attempts()).as("the call it saved").isEqualTo(1);
            assertThat(metric.promptTokens()).isEqualTo(first.promptTokens());
        });
        assertThat(results.get(0).metric().cached()).isFalse();
    }

    @Test
    @Timeout(30)
    void aRepeatAfterTheAnswerSpendsNoBudget() throws Exception {
        String same = "answered once " + System.nanoTime();
        long before = mock.stats().requests();
        try (var harness = CallStageHarness.open(cached(""), OPERATOR_TIMEOUT_MS, 1,
                AsyncDataStream.OutputMode.ORDERED)) {
            // Capacity 1: each request enters only when the one before it was answered.
            for (String id : List.of("a", "b", "c")) {
                harness.processElement(new StreamRecord<>(queued(id, same), 0));
            }
            harness.endInput();
            List<CallResult> results = CallStageHarness.results(harness);

            assertThat(results).extracting(result -> result.completion().cached()).containsExactly(false, true, true);
            assertThat(results).allSatisfy(result -> assertThat(result.completion().content())
                    .isEqualTo(MockAnswers.contentFor(same)));
            assertThat(results.get(2).completion().latencyMs()).isLessThan(100);
            assertThat(CallStageHarness.dispatcher(harness, "m1").admittedRequests()).as("budget spent").isEqualTo(1);
        }
        assertThat(mock.stats().requests() - before).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void whenTheFirstCallFailsEachWaiterMakesItsOwnCall() throws Exception {
        // The first request hangs past the attempt timeout (a timeout dead letter, one attempt allowed), the
        // next gets a 500, the one after an answer: the two waiters end each in an outcome of their own.
        String same = "[[mock:hang,500]] fails first " + System.nanoTime();
        long before = mock.stats().requests();

        List<CallResult> results = run(cached(""), 10, queued("a", same), queued("b", same), queued("c", same));

        assertThat(mock.stats().requests() - before).isEqualTo(3);
        assertThat(results.get(0).deadLetter().kind()).isEqualTo(ErrorKind.TIMEOUT);
        assertThat(results.subList(1, 3)).extracting(result -> result.request().id()).containsExactly("b", "c");
        assertThat(results.subList(1, 3)).extracting(result -> result.completion() == null
                ? result.deadLetter().kind().name() : "answered, cached=" + result.completion().cached())
                .containsExactlyInAnyOrder("SERVER_ERROR", "answered, cached=false");
    }

    @Test
    @Timeout(30)
    void theOperatorTimeoutAnswersTheFirstAndItsWaitersEachWithADeadLetterAndNothingIsSent() throws Exception {
        long before = mock.stats().requests();
        try (var harness = CallStageHarness.open(cached(", rpd: 1"), OPERATOR_TIMEOUT_MS, 10,
                AsyncDataStream.OutputMode.ORDERED)) {
            harness.setProcessingTime(0);
            // One request a day, already used: the first waits for budget past the operator's timeout.
            ModelDispatcher dispatcher = CallStageHarness.dispatcher(harness, "m1");
            dispatcher.submit(new Ticket(0, 1, 1, 1, 0, 0, new Ticket.Admission() {
                @Override
                public void admitted(int keyIndex, long waitedMicros) {}

                @Override
                public void refused(String reason) {}
            }));
            for (String id : List.of("a", "b", "c")) {
                harness.processElement(new StreamRecord<>(queued(id, "tomorrow"), 0));
            }
            assertThat(dispatcher.waiting()).as("only the first asks for budget").isEqualTo(1);

            harness.setProcessingTime(OPERATOR_TIMEOUT_MS + 1);
            harness.endInput();

            assertThat(CallStageHarness.results(harness)).extracting(result -> result.deadLetter().id(),
                    result -> result.deadLetter().kind()).containsExactly(tuple("a", ErrorKind.TIMEOUT),
                    tuple("b", ErrorKind.TIMEOUT), tuple("c", ErrorKind.TIMEOUT));
            assertThat(dispatcher.waiting()).isZero();
        }
        assertThat(mock.stats().requests() - before).isZero();
    }

    @Test
    @Timeout(30)
    void withoutACacheEveryRepeatMakesItsOwnCall() throws Exception {
        LlmStreamConfig plain = TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock}}", CALL);
        String same = "no cache " + System.nanoTime();
        long before = mock.stats().requests();

        List<CallResult> results = run(plain, 10, queued("a", same), queued("b", same), queued("c", same));

        assertThat(mock.stats().requests() - before).isEqualTo(3);
        assertThat(results).extracting(result -> result.completion().cached()).containsExactly(false, false, false);
    }

    @Test
    @Timeout(30)
    void aRepeatOfTheSameIdIsAnsweredInOrderFromTheCache() throws Exception {
        String same = "[[mock:slow(ms=300)]] same id " + System.nanoTime();
        long before = mock.stats().requests();

        List<CallResult> results = CallStageHarness.run(cached(""), OPERATOR_TIMEOUT_MS, 10,
                AsyncDataStream.OutputMode.UNORDERED, List.of(queued("x", same), queued("x", same)));

        assertThat(mock.stats().requests() - before).isEqualTo(1);
        assertThat(results).extracting(result -> result.completion().cached()).containsExactly(false, true);
    }
}
