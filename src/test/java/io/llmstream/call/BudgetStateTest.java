package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.BudgetShards;
import io.llmstream.limit.BudgetState;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.CallResult;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budgets are the call stage's own state: snapshotted at the barrier, restored before the async
 * operator replays what it had in flight, and taken over shard by shard by the instances that own the
 * shards after a rescale.
 */
class BudgetStateTest {
    private static final int MAX_PARALLELISM = 128;
    private static final long SECOND = 1_000_000L;
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(1).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    private static LlmStreamConfig config(int parallelism, String model) {
        return TestConfigs.withEndpoint(mock.baseUrl(), "models: {m1: {endpoint: mock, headroom: 0, " + model + "}}",
                "job: {parallelism: " + parallelism + "}");
    }

    private static OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness(LlmStreamConfig config,
            int parallelism, int instance) throws Exception {
        OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness = new OneInputStreamOperatorTestHarness<>(
                CallStageHarness.factory(new ChatCompletionFunction(config), 60_000, 10, AsyncDataStream.OutputMode.UNORDERED), MAX_PARALLELISM, parallelism, instance);
        harness.getStreamConfig().setupNetworkInputs(
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()));
        harness.getStreamConfig().serializeAllConfigs();
        return harness;
    }

    private static BudgetShards budgets(OneInputStreamOperatorTestHarness<ParsedInput, CallResult> harness) {
        return CallStageHarness.function(harness).budgets();
    }

    /** How far the RPM budget of a model's shard is ahead of now, in whole seconds; -1 if not held here. */
    private static long secondsAhead(BudgetShards budgets, int shard) {
        if (!budgets.owns("m1", shard)) {
            return -1;
        }
        BudgetState state = budgets.dispatcher("m1", shard).snapshot();
        return Math.round((state.tats()[0] - System.currentTimeMillis() * 1000) / (double) SECOND);
    }

    private static void spend(BudgetShards budgets, int shard, long secondsAhead) {
        ModelDispatcher dispatcher = budgets.dispatcher("m1", shard);
        dispatcher.restore(new BudgetState(new String[] {"mock#1"},
                new long[] {System.currentTimeMillis() * 1000 + secondsAhead * SECOND, 0, 0, 0}));
    }

    @Test
    @Timeout(60)
    void requestsReplayedAfterARestoreWaitForTheRestoredBudget() throws Exception {
        // One a second, with two seconds of burst: a full bucket would let two go at once.
        LlmStreamConfig oneASecond = config(1, "rpm: 60, burst: 2s");
        OperatorSubtaskState snapshot;
        try (var before = harness(oneASecond, 1, 0)) {
            before.open();
            for (int i = 0; i < 3; i++) {
                before.processElement(new StreamRecord<>(CallStageHarness.queued("r" + i, "replay " + i), 0));
            }
            snapshot = before.snapshot(1, 1);
        }

        try (var after = harness(oneASecond, 1, 0)) {
            after.initializeState(snapshot);
            long restored = System.nanoTime();
            after.open();
            after.endInput();
            long seconds = (System.nanoTime() - restored) / 1_000_000;
            List<CallResult> results = CallStageHarness.results(after);

            assertThat(results).as("what was in flight at the barrier is asked again").hasSizeGreaterThanOrEqualTo(2);
            assertThat(seconds).as("one a second from an empty bucket: no burst after the restore")
                    .isGreaterThanOrEqualTo(results.size() * 1000L - 100);
        }
    }

    /** A rescale from 2 to 3 instances: each shard's budget goes to the one instance that owns the shard now. */
    @Test
    void aRescaleHandsEachShardsBudgetToItsNewOwner() throws Exception {
        List<OperatorSubtaskState> snapshots = new ArrayList<>();
        for (int instance = 0; instance < 2; instance++) {
            try (var old = harness(config(2, "rpm: 60, shards: 2"), 2, instance)) {
                old.open();
                int shard = budgets(old).owns("m1", 0) ? 0 : 1;
                spend(budgets(old), shard, shard == 0 ? 30 : 60);
                snapshots.add(old.snapshot(1, 1));
            }
        }
        OperatorSubtaskState union = AbstractStreamOperatorTestHarness.repackageState(
                snapshots.toArray(new OperatorSubtaskState[0]));

        List<Long> shard0 = new ArrayList<>();
        List<Long> shard1 = new ArrayList<>();
        for (int instance = 0; instance < 3; instance++) {
            try (var rescaled = harness(config(3, "rpm: 60, shards: 2"), 3, instance)) {
                rescaled.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(union,
                        MAX_PARALLELISM, 2, 3, instance));
                rescaled.open();
                shard0.add(secondsAhead(budgets(rescaled), 0));
                shard1.add(secondsAhead(budgets(rescaled), 1));
            }
        }

        assertThat(shard0).as("shard 0 by instance").filteredOn(seconds -> seconds >= 0).containsExactly(30L);
        assertThat(shard1).as("shard 1 by instance").filteredOn(seconds -> seconds >= 0).containsExactly(60L);
    }

    /**
     * Shards follow the parallelism by default: from 2 to 3 instances the model is split into 3 shards, and
     * what the 2 old shards owed is shared out, so the model as a whole owes the same.
     */
    @Test
    void aNewSplitSharesOutWhatTheOldShardsOwed() throws Exception {
        List<OperatorSubtaskState> snapshots = new ArrayList<>();
        for (int instance = 0; instance < 2; instance++) {
            try (var old = harness(config(2, "rpm: 60"), 2, instance)) {
                old.open();
                int shard = budgets(old).owns("m1", 0) ? 0 : 1;
                spend(budgets(old), shard, shard == 0 ? 30 : 60);
                snapshots.add(old.snapshot(1, 1));
            }
        }
        OperatorSubtaskState union = AbstractStreamOperatorTestHarness.repackageState(
                snapshots.toArray(new OperatorSubtaskState[0]));

        List<Long> ahead = new ArrayList<>();
        for (int instance = 0; instance < 3; instance++) {
            try (var rescaled = harness(config(3, "rpm: 60"), 3, instance)) {
                rescaled.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(union,
                        MAX_PARALLELISM, 2, 3, instance));
                rescaled.open();
                for (int shard = 0; shard < 3; shard++) {
                    long seconds = secondsAhead(budgets(rescaled), shard);
                    if (seconds >= 0) {
                        ahead.add(seconds);
                    }
                }
            }
        }

        // Old: 30 s and 60 s at 30 RPM each (45 requests owed); new: 45 s at 20 RPM each (15 owed each).
        assertThat(ahead).containsExactly(45L, 45L, 45L);
    }
}
