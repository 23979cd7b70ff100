package io.llmstream.batch;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.Lane;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batch lane's operator against the mock's Batch API over real sockets, with Flink's harness taking and
 * restoring checkpoints: a batch goes out only once a checkpoint holds it, a restore finds a batch sent after the
 * checkpoint instead of sending its lines again, and every record ends once.
 */
class BatchLaneOperatorTest {
    private static final String MODEL = "models: {m1: {endpoint: mock, batch-lane: {max-lines: 100, max-wait: 100ms, "
            + "poll: 100ms}}}";
    private static final int RECORDS = 10;

    /** A harness and its processing time, which the test moves on in steps of the operator's tick. */
    private static final class Lane1 implements AutoCloseable {
        final KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, CallResult> harness;
        long time;
        long checkpoints;

        Lane1(LlmStreamConfig config, OperatorSubtaskState restoreFrom, long checkpoints) throws Exception {
            harness = new KeyedOneInputStreamOperatorTestHarness<>(new BatchLaneOperator(config),
                    new LaneSplit.ByModel(), Types.STRING);
            this.checkpoints = checkpoints;
            if (restoreFrom != null) {
                harness.initializeState(restoreFrom);
            }
            harness.open();
        }

        void records(int from, int to) throws Exception {
            for (int i = from; i < to; i++) {
                harness.processElement(new StreamRecord<>(ParsedInput.valid(request(i))));
            }
        }

        /** Ticks (real time passing too) until {@code done}, a checkpoint every fifth tick when {@code checkpointing}. */
        void runUntil(BooleanSupplier done, boolean checkpointing) throws Exception {
            long deadline = System.currentTimeMillis() + 30_000;
            int ticks = 0;
            while (!done.getAsBoolean()) {
                assertThat(System.currentTimeMillis()).as("still waiting after 30 s").isLessThan(deadline);
                time += BatchLaneOperator.TICK_MILLIS;
                harness.setProcessingTime(time);
                if (checkpointing && ++ticks % 5 == 0) {
                    checkpoint();
                }
                Thread.sleep(20);
            }
        }

        OperatorSubtaskState checkpoint() throws Exception {
            long id = ++checkpoints;
            OperatorSubtaskState state = harness.snapshot(id, time);
            harness.notifyOfCompletedCheckpoint(id);
            return state;
        }

        List<CallResult> results() {
            return harness.extractOutputValues();
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }

    private static LlmRequest request(int i) {
        return new LlmRequest("r-" + i, "m1", 0, "{\"messages\":[{\"role\":\"user\",\"content\":\"prompt " + i
                + "\"}],\"max_tokens\":8}", null, 5, 8, "{}", 2, 0, new SourcePosition("prompts", 0, i), Lane.BATCH);
    }

    private static MockLlmServer mock(MockOptions.Builder options) {
        return MockLlmServer.start(options.port(0).batchInProgress(Duration.ofMillis(300)).build());
    }

    private static Map<String, Integer> endings(List<CallResult> results) {
        Map<String, Integer> count = new HashMap<>();
        for (CallResult result : results) {
            String id = result.completion() != null ? result.completion().id() : result.deadLetter().id();
            count.merge(id, 1, Integer::sum);
        }
        return count;
    }

    @Test
    @Timeout(60)
    void everyRecordIsAnsweredOnceThroughOneBatch() throws Exception {
        try (MockLlmServer server = mock(MockOptions.builder());
                Lane1 lane = new Lane1(TestConfigs.withEndpoint(server.baseUrl(), MODEL), null, 0)) {
            lane.records(0, RECORDS);
            lane.runUntil(() -> lane.results().size() >= RECORDS, true);

            assertThat(endings(lane.results())).hasSize(RECORDS).allSatisfy((id, times) -> assertThat(times).isOne());
            for (CallResult result : lane.results()) {
                Completion completion = result.completion();
                assertThat(completion).as("a completion, not %s", result.deadLetter()).isNotNull();
                assertThat(completion.batchId()).startsWith("batch_");
                assertThat(completion.content()).isNotEmpty();
                assertThat(completion.attempts()).isOne();
                assertThat(result.metric().batchLane()).isTrue();
                assertThat(result.metric().chargedTokens()).as("nothing against the online limits").isZero();
            }
            MockStats.Batch batches = server.stats().batch();
            assertThat(batches.batchesCreated()).isOne();
            assertThat(batches.linesSubmitted()).isEqualTo(RECORDS);
        }
    }

    @Test
    @Timeout(60)
    void aBatchGoesOutOnlyOnceACheckpointThatHoldsItCompleted() throws Exception {
        try (MockLlmServer server = mock(MockOptions.builder());
                Lane1 lane = new Lane1(TestConfigs.withEndpoint(server.baseUrl(), MODEL), null, 0)) {
            lane.records(0, RECORDS);
            long until = System.currentTimeMillis() + 600;
            lane.runUntil(() -> System.currentTimeMillis() > until, false);
            assertThat(server.stats().batch().filesUploaded()).as("no checkpoint yet").isZero();

            long id = ++lane.checkpoints;
            lane.harness.snapshot(id, lane.time);
            long later = System.currentTimeMillis() + 400;
            lane.runUntil(() -> System.currentTimeMillis() > later, false);
            assertThat(server.stats().batch().filesUploaded()).as("a checkpoint taken, not completed").isZero();

            lane.harness.notifyOfCompletedCheckpoint(id);
            lane.runUntil(() -> lane.results().size() >= RECORDS, false);
            assertThat(server.stats().batch().batchesCreated()).isOne();
        }
    }

    @Test
    @Timeout(60)
    void aRestoreFindsTheBatchSentAfterItsCheckpointInsteadOfSendingItAgain() throws Exception {
        try (MockLlmServer server = mock(MockOptions.builder())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(), MODEL);
            OperatorSubtaskState checkpoint;
            try (Lane1 lane = new Lane1(config, null, 0)) {
                lane.records(0, RECORDS);
                long until = System.currentTimeMillis() + 300;
                lane.runUntil(() -> System.currentTimeMillis() > until, false);
                checkpoint = lane.checkpoint();
                lane.runUntil(() -> server.stats().batch().batchesCreated() == 1, false);
                assertThat(lane.results()).as("the job fails before the batch ends").isEmpty();
            }
            try (Lane1 restored = new Lane1(config, checkpoint, 1)) {
                restored.runUntil(() -> restored.results().size() >= RECORDS, true);
                assertThat(endings(restored.results())).hasSize(RECORDS)
                        .allSatisfy((id, times) -> assertThat(times).isOne());
                assertThat(restored.results()).allSatisfy(result -> assertThat(result.completion()).isNotNull());
            }
            assertThat(server.stats().batch().batchesCreated()).as("found again, not sent again").isOne();
            assertThat(server.stats().batch().linesSubmitted()).isEqualTo(RECORDS);
        }
    }

    @Test
    @Timeout(60)
    void aRestoreSendsACutThatNeverReachedTheProviderAndPollsTheBatchesItHeld() throws Exception {
        try (MockLlmServer server = mock(MockOptions.builder())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(), MODEL);
            OperatorSubtaskState cutOnly;
            OperatorSubtaskState withOpenBatch;
            try (Lane1 lane = new Lane1(config, null, 0)) {
                lane.records(0, RECORDS);
                long until = System.currentTimeMillis() + 300;
                lane.runUntil(() -> System.currentTimeMillis() > until, false);
                cutOnly = lane.harness.snapshot(++lane.checkpoints, lane.time);
            }
            assertThat(server.stats().batch().filesUploaded()).isZero();
            try (Lane1 restored = new Lane1(config, cutOnly, 1)) {
                restored.runUntil(() -> server.stats().batch().batchesCreated() == 1, false);
                withOpenBatch = restored.harness.snapshot(++restored.checkpoints, restored.time);
            }
            try (Lane1 again = new Lane1(config, withOpenBatch, 2)) {
                again.records(RECORDS, RECORDS + 2);
                again.runUntil(() -> again.results().size() >= RECORDS + 2, true);
                assertThat(endings(again.results())).hasSize(RECORDS + 2)
                        .allSatisfy((id, times) -> assertThat(times).isOne());
            }
            assertThat(server.stats().batch().batchesCreated()).isEqualTo(2);
            assertThat(server.stats().batch().linesSubmitted()).isEqualTo(RECORDS + 2);
        }
    }

    @Test
    @Timeout(90)
    void linesLeftByExpiredBatchesAreAskedAgainUntilTheAttemptsRunOut() throws Exception {
        try (MockLlmServer server = mock(MockOptions.builder().batchExpireShare(1.0));
                Lane1 lane = new Lane1(TestConfigs.withEndpoint(server.baseUrl(), MODEL,
                        "call: {retry: {max-attempts: 3}}"), null, 0)) {
            lane.records(0, RECORDS);
            lane.runUntil(() -> lane.results().size() >= RECORDS, true);

            assertThat(endings(lane.results())).hasSize(RECORDS).allSatisfy((id, times) -> assertThat(times).isOne());
            long answered = lane.results().stream().filter(result -> result.completion() != null).count();
            MockStats.Batch batches = server.stats().batch();
            assertThat(batches.batchesCreated()).as("three batches, each expiring with half its lines").isEqualTo(3);
            assertThat(answered).isEqualTo(batches.linesAnswered());
            for (CallResult result : lane.results()) {
                if (result.deadLetter() != null) {
                    assertThat(result.deadLetter().attempts()).isEqualTo(3);
                    assertThat(result.deadLetter().message()).contains("expired").contains("3 batches");
                }
            }
        }
    }
}
