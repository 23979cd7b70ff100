package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.ParsedInput;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The call stage with streamed answers, in Flink's async operator harness against the mock over real
 * sockets: time to first token, hung requests caught early on the default settings, long generations
 * left alone, broken and paused streams, servers that do not stream, per-id order.
 */
class StreamingCallTest {
    private static final long OPERATOR_TIMEOUT_MS = 120_000;
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(40).latencySigma(0.2).seed(7).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig config(String baseUrl, String... more) {
        String[] documents = new String[more.length + 1];
        documents[0] = "models: {m1: {endpoint: mock}}";
        System.arraycopy(more, 0, documents, 1, more.length);
        return TestConfigs.withEndpoint(baseUrl, documents);
    }

    private static ParsedInput queued(String id, String prompt) {
        return CallStageHarness.queued(id, prompt);
    }

    private static List<CallResult> call(LlmStreamConfig config, AsyncDataStream.OutputMode mode, int capacity,
            List<ParsedInput> requests) throws Exception {
        return CallStageHarness.run(config, OPERATOR_TIMEOUT_MS, capacity, mode, requests);
    }

    private static List<CallResult> call(LlmStreamConfig config, ParsedInput... requests) throws Exception {
        return call(config, AsyncDataStream.OutputMode.UNORDERED, 100, List.of(requests));
    }

    private static Completion byId(List<CallResult> results, String id) {
        return results.stream().filter(result -> result.completion() != null && result.completion().id().equals(id))
                .findFirst().orElseThrow().completion();
    }

    @Test
    void readsAStreamedAnswerAndItsTimeToFirstToken() throws Exception {
        long streamedBefore = mock.stats().streamed();

        CallResult result = call(config(mock.baseUrl()), queued("a", "Stream this, please")).get(0);

        Completion completion = result.completion();
        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("Stream this, please"));
        assertThat(completion.finishReason()).isEqualTo("stop");
        assertThat(completion.promptTokens()).isPositive();
        assertThat(completion.completionTokens()).as("from the usage chunk").isPositive();
        assertThat(completion.firstTokenMs()).as("after the mock's ~40 ms latency").isBetween(20L, 5000L);
        assertThat(result.metric().firstTokenMs()).isEqualTo(completion.firstTokenMs());
        assertThat(mock.stats().streamed() - streamedBefore).isEqualTo(1);
    }

    /**
     * On the default call settings (60 s first-token timeout, 10 min attempt timeout) a request that would
     * answer only after a minute is given up after a few of the model's usual first-token times, once the
     * model has answered enough, and retried.
     */
    @Test
    @Timeout(60)
    void aHungRequestCostsSecondsOnTheDefaultSettings() throws Exception {
        List<ParsedInput> requests = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            requests.add(queued("w" + i, "warm up " + i));
        }
        String hung = "[[mock:hang(ms=60000)]] stuck " + System.nanoTime();
        requests.add(queued("hung", hung));
        long before = mock.stats().requests();

        List<CallResult> results = call(config(mock.baseUrl()), AsyncDataStream.OutputMode.UNORDERED, 100, requests);

        Completion completion = byId(results, "hung");
        assertThat(completion.attempts()).isEqualTo(2);
        assertThat(completion.latencyMs()).as("the 2 s floor of the adaptive wait, not 60 s").isBetween(1900L, 8000L);
        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor(hung));
        assertThat(mock.stats().requests() - before).isEqualTo(32);
    }

    @Test
    @Timeout(60)
    void aLongGenerationThatKeepsStreamingIsNotCutOff() throws Exception {
        List<ParsedInput> requests = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            requests.add(queued("v" + i, "quick " + i));
        }
        String slow = "[[mock:slow(ms=5000)]] a long essay " + System.nanoTime();
        requests.add(queued("slow", slow));

        List<CallResult> results = call(config(mock.baseUrl(), "call: {idle-timeout: 1s}"),
                AsyncDataStream.OutputMode.UNORDERED, 100, requests);

        Completion completion = byId(results, "slow");
        assertThat(completion.attempts()).as("longer than the 2 s first-token wait, but streaming").isEqualTo(1);
        assertThat(completion.latencyMs()).isGreaterThanOrEqualTo(4900);
    }

    @Test
    void aStreamThatPausesLongerThanTheIdleTimeoutIsRetried() throws Exception {
        String paused = "[[mock:pause(ms=3000)]] thinking " + System.nanoTime();

        Completion completion = call(config(mock.baseUrl(), "call: {idle-timeout: 500ms}"), queued("p", paused))
                .get(0).completion();

        assertThat(completion.attempts()).isEqualTo(2);
        assertThat(completion.latencyMs()).isBetween(400L, 2900L);
    }

    @Test
    void aBrokenStreamIsRetried() throws Exception {
        String broken = "[[mock:break]] cut off " + System.nanoTime();
        long before = mock.stats().requests();

        Completion completion = call(config(mock.baseUrl()), queued("b", broken)).get(0).completion();

        assertThat(completion.attempts()).isEqualTo(2);
        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor(broken));
        assertThat(mock.stats().requests() - before).isEqualTo(2);
    }

    @Test
    void aServerThatAnswersStreamedRequestsPlainlyStillWorks() throws Exception {
        try (MockLlmServer plain = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5)
                .stream(MockOptions.StreamMode.IGNORE).build())) {
            Completion completion = call(config(plain.baseUrl()), queued("i", "no streams here")).get(0).completion();

            assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("no streams here"));
            assertThat(completion.attempts()).isEqualTo(1);
            assertThat(completion.firstTokenMs()).as("not streamed").isEqualTo(-1);
            assertThat(plain.stats().streamed()).isZero();
        }
    }

    @Test
    void aServerThatRefusesStreamingIsAskedWithoutItFromThenOn() throws Exception {
        try (MockLlmServer refusing = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5)
                .stream(MockOptions.StreamMode.REJECT).build())) {
            List<CallResult> results = call(config(refusing.baseUrl()), AsyncDataStream.OutputMode.ORDERED, 1,
                    List.of(queued("r1", "first"), queued("r2", "second")));

            assertThat(results).extracting(result -> result.completion().content())
                    .containsExactly(MockAnswers.contentFor("first"), MockAnswers.contentFor("second"));
            assertThat(refusing.stats().status(400)).as("only the first request was refused").isEqualTo(1);
            assertThat(refusing.stats().requests()).isEqualTo(3);
        }
    }

    @Test
    void streamingCanBeSwitchedOffPerEndpoint() throws Exception {
        long streamedBefore = mock.stats().streamed();

        Completion completion = call(config(mock.baseUrl(), "endpoints: {mock: {stream: false}}"),
                queued("o", "plain please")).get(0).completion();

        assertThat(completion.content()).isEqualTo(MockAnswers.contentFor("plain please"));
        assertThat(mock.stats().streamed() - streamedBefore).isZero();
    }

    /** Records that share an id wait for each other; the others do not wait behind them. */
    @Test
    @Timeout(60)
    void answersRecordsOfOneIdInInputOrderWithoutHoldingBackOthers() throws Exception {
        String slow = "[[mock:slow(ms=1500)]] first of x " + System.nanoTime();
        List<CallResult> results = call(config(mock.baseUrl()), queued("x", slow), queued("x", "second of x"),
                queued("y", "someone else"));

        assertThat(results).extracting(result -> result.completion().id()).containsExactly("y", "x", "x");
        assertThat(results.get(1).completion().content()).isEqualTo(MockAnswers.contentFor(slow));
        assertThat(results.get(2).completion().content()).isEqualTo(MockAnswers.contentFor("second of x"));
    }

    /** With call.order: none the records of one id do not wait for each other. */
    @Test
    @Timeout(60)
    void withoutOrderRecordsOfOneIdDoNotWait() throws Exception {
        String slow = "[[mock:slow(ms=1500)]] first of z " + System.nanoTime();
        List<CallResult> results = call(config(mock.baseUrl(), "call: {order: none}"), queued("z", slow),
                queued("z", "second of z"));

        assertThat(results).extracting(result -> result.completion().content())
                .containsExactly(MockAnswers.contentFor("second of z"), MockAnswers.contentFor(slow));
    }
}
