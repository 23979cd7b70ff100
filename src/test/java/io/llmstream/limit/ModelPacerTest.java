package io.llmstream.limit;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The keyed pacer: one durable budget per model, cleaned up, restored and rescaled with keyed state. */
class ModelPacerTest {
    private static final long T0 = 1_000_000L;
    private static final int MAX_PARALLELISM = 128;
    private static final LlmStreamConfig CONFIG = TestConfigs.offline(
            "models: {m1: {rpm: 600, tpm: 1000000, headroom: 0, burst: 1s}, m2: {endpoint: mock, rpm: 60},"
                    + " free: {endpoint: mock}}");

    private static KeyedOneInputStreamOperatorTestHarness<String, LlmRequest, PacedRequest> harness(
            int parallelism, int subtask) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new ModelPacer(CONFIG)),
                LlmRequest::model, Types.STRING, MAX_PARALLELISM, parallelism, subtask);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, LlmRequest, PacedRequest> opened() throws Exception {
        var harness = harness(1, 0);
        harness.setProcessingTime(T0);
        harness.open();
        return harness;
    }

    private static LlmRequest request(String model) {
        return new LlmRequest("r", model, 0, "{}", null, 10, 10, "{}", 2, 0, null);
    }

    /** Spends budget the way the call stage does: through the model's dispatcher in this JVM. */
    private static void spend(JobID job, String model, int requests) {
        try (Dispatchers.Lease lease = Dispatchers.acquire(job, CONFIG)) {
            for (int i = 0; i < requests; i++) {
                lease.forModel(model).submit(new Ticket(0, 1, 1, 20, 0, 0, new Ticket.Admission() {
                    @Override
                    public void admitted(int keyIndex, long waitedMicros) {}

                    @Override
                    public void refused(String reason) {}
                }));
            }
        }
    }

    private static BudgetState dispatcherState(JobID job, String model) {
        try (Dispatchers.Lease lease = Dispatchers.acquire(job, CONFIG)) {
            return lease.forModel(model).snapshot();
        }
    }

    @Test
    void passesRequestsOnAtOnceWithTheTimeTheirWaitStarts() throws Exception {
        try (var harness = opened()) {
            harness.processElement(request("m1"), T0);
            harness.setProcessingTime(T0 + 5);
            harness.processElement(request("free"), T0);

            assertThat(harness.extractOutputValues()).extracting(PacedRequest::pacedAtMillis)
                    .containsExactly(T0, T0 + 5);
        }
    }

    @Test
    void keepsStateOnlyForLimitedModelsAndClearsItOnceTheBudgetIsFull() throws Exception {
        try (var harness = opened()) {
            harness.processElement(request("free"), T0);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();

            JobID job = harness.getEnvironment().getJobID();
            spend(job, "m1", 15);
            harness.processElement(request("m1"), T0);
            assertThat(harness.numKeyedStateEntries()).as("the group's budgets and its cleanup timer").isEqualTo(2);
            assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

            long fullAtMillis = dispatcherState(job, "m1").fullAtMicros() / 1000;
            harness.setProcessingTime(fullAtMillis + 1000);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void restoresTheBudgetFromASnapshotIntoTheDispatcher() throws Exception {
        OperatorSubtaskState snapshot;
        BudgetState before;
        try (var harness = opened()) {
            JobID job = harness.getEnvironment().getJobID();
            spend(job, "m1", 12);
            harness.processElement(request("m1"), T0);
            before = dispatcherState(job, "m1");
            snapshot = harness.snapshot(1, T0);
        }
        assertThat(before.fullAtMicros()).isPositive();
        try (var restored = harness(1, 0)) {
            restored.setProcessingTime(T0);
            restored.initializeState(snapshot);
            restored.open();
            JobID job = restored.getEnvironment().getJobID();
            assertThat(dispatcherState(job, "m1").fullAtMicros()).as("a fresh dispatcher").isZero();

            restored.processElement(request("m1"), T0);

            assertThat(dispatcherState(job, "m1").tats()).containsExactly(before.tats());
        }
    }

    @Test
    void rescalingKeepsOneBudgetPerModel() throws Exception {
        OperatorSubtaskState snapshot;
        try (var single = opened()) {
            JobID job = single.getEnvironment().getJobID();
            spend(job, "m1", 12);
            spend(job, "m2", 3);
            single.processElement(request("m1"), T0);
            single.processElement(request("m2"), T0);
            snapshot = single.snapshot(1, T0);
        }
        List<String> owners = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            OperatorSubtaskState share = AbstractStreamOperatorTestHarness.repartitionOperatorState(
                    snapshot, MAX_PARALLELISM, 1, 2, subtask);
            try (var harness = harness(2, subtask)) {
                harness.setProcessingTime(T0);
                harness.initializeState(share);
                harness.open();
                List<String> owned = new ArrayList<>();
                for (String model : List.of("m1", "m2")) {
                    int keyGroup = KeyGroupRangeAssignment.assignToKeyGroup(model, MAX_PARALLELISM);
                    if (KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(MAX_PARALLELISM, 2, subtask)
                            .contains(keyGroup)) {
                        owned.add(model);
                    }
                }
                assertThat(harness.numKeyedStateEntries()).as("subtask " + subtask + ": budgets and timer per group")
                        .isEqualTo(2 * owned.size());
                owners.addAll(owned);
            }
        }
        assertThat(owners).as("each model's budget in exactly one subtask").containsExactlyInAnyOrder("m1", "m2");
    }
}
