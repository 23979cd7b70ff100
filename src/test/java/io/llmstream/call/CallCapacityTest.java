package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.ParsedInput;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the call stage has in flight: as many requests as its capacity (the connection pool follows it),
 * no more than a fixed pool allows, and nothing more for a request the operator's timeout answered.
 */
class CallCapacityTest {
    private static final long OPERATOR_TIMEOUT_MS = 60_000;

    private static OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness(LlmStreamConfig config,
            int capacity) throws Exception {
        return CallStageHarness.open(config, OPERATOR_TIMEOUT_MS, capacity, AsyncDataStream.OutputMode.UNORDERED);
    }

    private static long maxInFlight(String yaml, int capacity, int requests) throws Exception {
        try (MockLlmServer slow = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(1500).latencySigma(0)
                .build())) {
            // A fixed concurrency: this counts what the connection pool lets through, not what the adaptive
            // limit would (ConcurrencyLimitTest).
            LlmStreamConfig config = TestConfigs.withEndpoint(slow.baseUrl(),
                    "models: {m1: {endpoint: mock, concurrency: " + capacity + "}}",
                    "call: {capacity: " + capacity + "}", yaml);
            try (var harness = harness(config, capacity)) {
                for (int i = 0; i < requests; i++) {
                    harness.processElement(new StreamRecord<>(CallStageHarness.queued("c" + i, "count me " + i), 0));
                }
                harness.endInput();
                assertThat(harness.getOutput()).hasSize(requests);
            }
            return slow.stats().maxInFlight();
        }
    }

    @Test
    @Timeout(60)
    void thePoolFollowsTheCapacity() throws Exception {
        assertThat(maxInFlight("", 256, 256)).as("call.capacity 256 with http.max-connections unset").isEqualTo(256);
    }

    @Test
    @Timeout(60)
    void aFixedPoolCapsTheRequestsInFlight() throws Exception {
        assertThat(maxInFlight("http: {max-connections: 40}", 100, 100)).isEqualTo(40);
    }

    @Test
    @Timeout(30)
    void aRequestTheOperatorTimeoutAnsweredIsNeverSent() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).build())) {
            LlmStreamConfig queued = TestConfigs.withEndpoint(mock.baseUrl(),
                    "models: {m1: {endpoint: mock, rpm: 60, burst: 0s, headroom: 0}}");
            try (var harness = harness(queued, 10)) {
                harness.setProcessingTime(0);
                for (int i = 0; i < 3; i++) {
                    harness.processElement(new StreamRecord<>(CallStageHarness.queued("t" + i, "wait " + i), 0));
                }
                ModelDispatcher dispatcher = CallStageHarness.dispatcher(harness, "m1");
                assertThat(dispatcher.waiting()).as("60 RPM: one goes, two wait a second each").isEqualTo(2);
                awaitTrue(() -> mock.stats().requests() == 1);

                harness.setProcessingTime(OPERATOR_TIMEOUT_MS + 1);

                assertThat(dispatcher.waiting()).as("withdrawn from the model's queue").isZero();
                harness.endInput();
                assertThat(harness.getOutput()).hasSize(3);
                Thread.sleep(2500);
                assertThat(mock.stats().requests()).as("the two that timed out were never sent").isEqualTo(1);
                List<ErrorKind> kinds = new ArrayList<>();
                for (Object element : harness.getOutput()) {
                    CallResult result = (CallResult) ((StreamRecord<?>) element).getValue();
                    kinds.add(result.deadLetter() == null ? null : result.deadLetter().kind());
                }
                assertThat(kinds).filteredOn(kind -> kind == ErrorKind.TIMEOUT).hasSizeGreaterThanOrEqualTo(2);
            }
        }
    }

    @Test
    @Timeout(30)
    void anAttemptInFlightIsAbortedWhenTheOperatorTimeoutAnswers() throws Exception {
        try (MockLlmServer mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(5).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock}}");
            try (var harness = harness(config, 10)) {
                harness.setProcessingTime(0);
                harness.processElement(new StreamRecord<>(CallStageHarness.queued("h", "[[mock:hang]] forever"), 0));
                awaitTrue(() -> mock.stats().inFlight() == 1);

                harness.setProcessingTime(OPERATOR_TIMEOUT_MS + 1);

                awaitTrue(() -> mock.stats().inFlight() == 0);
                harness.endInput();
                assertThat(harness.getOutput()).hasSize(1);
                assertThat(mock.stats().requests()).isEqualTo(1);
            }
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(condition.getAsBoolean()).as("condition within 10 s").isTrue();
    }
}
