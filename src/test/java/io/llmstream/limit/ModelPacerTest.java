package io.llmstream.limit;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ModelPacerTest {
    private static final long T0 = 1_000_000L;
    /** 600 RPM is one request per 100 ms; 6000 TPM is one token per 10 ms. No headroom, for exact times. */
    private static final LlmStreamConfig CONFIG = TestConfigs.offline(
            "models: {m1: {rpm: 600, tpm: 1000000, headroom: 0, burst: 1s},"
                    + " tokens: {endpoint: mock, tpm: 6000, headroom: 0, burst: 1s},"
                    + " free: {endpoint: mock},"
                    + " roomy: {endpoint: mock, rpm: 600, headroom: 0.2, burst: 0s}}");

    private static KeyedOneInputStreamOperatorTestHarness<String, LlmRequest, PacedRequest> harness() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, LlmRequest, PacedRequest> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new ModelPacer(CONFIG)),
                        LlmRequest::model, Types.STRING);
        harness.setProcessingTime(T0);
        harness.open();
        return harness;
    }

    private static LlmRequest request(String model, int promptTokens, int maxTokens) {
        return new LlmRequest("r", model, 0, "{}", null, promptTokens, maxTokens, "{}", 0);
    }

    /** Offsets of the admission times from T0, in ms, of everything emitted so far. */
    private static List<Long> admissionOffsets(KeyedOneInputStreamOperatorTestHarness<?, ?, PacedRequest> harness) {
        List<Long> offsets = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            @SuppressWarnings("unchecked")
            PacedRequest paced = ((StreamRecord<PacedRequest>) element).getValue();
            offsets.add(paced.admitAtMicros() / 1000 - T0);
        }
        return offsets;
    }

    @Test
    void letsOneSecondOfRequestsOutAtOnceThenPacesAtTheRpm() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 13; i++) {
                harness.processElement(request("m1", 1, 1), T0);
            }

            assertThat(admissionOffsets(harness))
                    .containsExactly(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 100L, 200L, 300L);
        }
    }

    @Test
    void chargesPromptPlusMaxTokensAgainstTheTpm() throws Exception {
        try (var harness = harness()) {
            harness.processElement(request("tokens", 40, 60), T0);   // 100 tokens = 1 s at 6000 TPM
            harness.processElement(request("tokens", 250, 50), T0);  // 300 tokens = 3 s
            harness.processElement(request("tokens", 50, 50), T0);
            harness.processElement(request("tokens", 20, 0), T0);    // no max_tokens: default 1024 charged

            assertThat(admissionOffsets(harness)).containsExactly(0L, 1000L, 4000L, 5000L);
        }
    }

    @Test
    void aRequestLargerThanTheBurstGoesAsSoonAsTheBucketIsFull() throws Exception {
        try (var harness = harness()) {
            harness.processElement(request("tokens", 400, 100), T0);  // 5 s of budget, bucket holds 1 s

            assertThat(admissionOffsets(harness)).containsExactly(0L);
        }
    }

    @Test
    void recoversTheBurstAfterAQuietPeriodButNeverMore() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 10; i++) {
                harness.processElement(request("m1", 1, 1), T0);
            }
            harness.setProcessingTime(T0 + 60_000);
            harness.getOutput().clear();
            for (int i = 0; i < 12; i++) {
                harness.processElement(request("m1", 1, 1), T0 + 60_000);
            }

            assertThat(admissionOffsets(harness)).containsExactly(60_000L, 60_000L, 60_000L, 60_000L, 60_000L,
                    60_000L, 60_000L, 60_000L, 60_000L, 60_000L, 60_100L, 60_200L);
        }
    }

    @Test
    void headroomSlowsThePaceAndZeroBurstSpacesEveryRequest() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 4; i++) {
                harness.processElement(request("roomy", 1, 1), T0);
            }

            assertThat(admissionOffsets(harness)).containsExactly(0L, 125L, 250L, 375L);
        }
    }

    @Test
    void unlimitedModelsGoAtOnceAndKeepNoState() throws Exception {
        try (var harness = harness()) {
            harness.processElement(request("free", 1000, 1000), T0);
            harness.processElement(request("free", 1000, 1000), T0);

            assertThat(admissionOffsets(harness)).containsExactly(0L, 0L);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void cleansUpStateAndTimersOnceTheBudgetIsFullAgain() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 15; i++) {
                harness.processElement(request("m1", 1, 1), T0);
            }
            assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
            assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

            harness.setProcessingTime(T0 + 1499);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(1);

            harness.setProcessingTime(T0 + 1500);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void keepsTheBudgetAcrossSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var harness = harness()) {
            for (int i = 0; i < 12; i++) {
                harness.processElement(request("m1", 1, 1), T0);
            }
            snapshot = harness.snapshot(1, T0);
        }
        try (var restored = new KeyedOneInputStreamOperatorTestHarness<String, LlmRequest, PacedRequest>(
                new KeyedProcessOperator<>(new ModelPacer(CONFIG)), LlmRequest::model, Types.STRING)) {
            restored.setProcessingTime(T0);
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(request("m1", 1, 1), T0);

            assertThat(admissionOffsets(restored)).containsExactly(300L);
        }
    }
}
