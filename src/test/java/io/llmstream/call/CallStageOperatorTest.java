package io.llmstream.call;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CallStageOperatorTest {
    private static final long TIMEOUT_MS = 10_000;
    private static final int MAX_PARALLELISM = 128;

    /** Holds every input's future until the test answers it; answers "<input>!" or "<input> timed out". */
    static final class HeldFunction implements AsyncFunction<String, String> {
        private static final long serialVersionUID = 1L;
        static final Map<String, ResultFuture<String>> HELD = new ConcurrentHashMap<>();
        static final List<String> INVOKED = Collections.synchronizedList(new ArrayList<>());

        static void reset() {
            HELD.clear();
            INVOKED.clear();
        }

        static void answer(String input) {
            HELD.remove(input).complete(Collections.singleton(input + "!"));
        }

        @Override
        public void asyncInvoke(String input, ResultFuture<String> result) {
            INVOKED.add(input);
            HELD.put(input, result);
        }

        @Override
        public void timeout(String input, ResultFuture<String> result) {
            HELD.remove(input);
            result.complete(Collections.singleton(input + " timed out"));
        }
    }

    /** As {@link HeldFunction}, and inputs "name~millis" rightly wait until that time. */
    static final class PatientHeldFunction implements AsyncFunction<String, String>, PatientFunction<String> {
        private static final long serialVersionUID = 1L;
        private final HeldFunction held = new HeldFunction();

        @Override
        public void asyncInvoke(String input, ResultFuture<String> result) {
            held.asyncInvoke(input, result);
        }

        @Override
        public void timeout(String input, ResultFuture<String> result) {
            held.timeout(input, result);
        }

        @Override
        public long waitsUntilMillis(String input) {
            int at = input.indexOf('~');
            return at < 0 ? Long.MIN_VALUE : Long.parseLong(input.substring(at + 1));
        }
    }

    private static OneInputStreamOperatorTestHarness<String, String> harness(int capacity, boolean ordered)
            throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new CallStageOperatorFactory<>(new HeldFunction(), capacity,
                TIMEOUT_MS, 1_000, ordered, CallStageOperatorTest::madeAt), Types.STRING.createSerializer(new SerializerConfigImpl()));
    }

    /** Inputs "name@millis" were made at that time; others just now (after every checkpoint of a test). */
    private static long madeAt(String input) {
        int at = input.indexOf('@');
        return at < 0 ? Long.MAX_VALUE : Long.parseLong(input.substring(at + 1));
    }

    /** Runs the mails the operator posted: the results, on the task's thread. */
    private static void drain(AbstractStreamOperatorTestHarness<String> harness) throws Exception {
        Optional<Mail> mail;
        while ((mail = harness.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
            mail.get().run();
        }
    }

    private static List<Object> output(AbstractStreamOperatorTestHarness<String> harness) {
        List<Object> out = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            out.add(element instanceof StreamRecord<?> record ? record.getValue() : element);
        }
        return out;
    }

    @Test
    void inInputOrderResultsWaitForTheOnesBeforeThem() throws Exception {
        HeldFunction.reset();
        try (var harness = harness(10, true)) {
            harness.open();
            for (String input : List.of("a", "b", "c")) {
                harness.processElement(new StreamRecord<>(input, 7));
            }
            HeldFunction.answer("c");
            HeldFunction.answer("b");
            drain(harness);
            assertThat(output(harness)).isEmpty();

            HeldFunction.answer("a");
            drain(harness);
            assertThat(output(harness)).containsExactly("a!", "b!", "c!");
            assertThat(harness.getOutput()).allSatisfy(element ->
                    assertThat(((StreamRecord<?>) element).getTimestamp()).isEqualTo(7));
        }
    }

    @Test
    void unorderedResultsLeaveAsTheyComeAndAWatermarkWaitsForTheInputsBeforeIt() throws Exception {
        HeldFunction.reset();
        try (var harness = harness(10, false)) {
            harness.open();
            harness.processElement(new StreamRecord<>("a"));
            harness.processElement(new StreamRecord<>("b"));
            harness.processWatermark(new Watermark(100));
            harness.processElement(new StreamRecord<>("c"));

            HeldFunction.answer("c");
            HeldFunction.answer("b");
            drain(harness);
            assertThat(output(harness)).containsExactly("c!", "b!");

            HeldFunction.answer("a");
            drain(harness);
            assertThat(output(harness)).containsExactly("c!", "b!", "a!", new Watermark(100));
        }
    }

    @Test
    void holdsNoMoreThanItsCapacityWhileTheTaskRuns() throws Exception {
        HeldFunction.reset();
        try (var harness = harness(2, false)) {
            harness.open();
            harness.processElement(new StreamRecord<>("a"));
            harness.processElement(new StreamRecord<>("b"));
            CompletableFuture<Void> third = new CompletableFuture<>();
            CompletableFuture.runAsync(() -> {
                try {
                    TimeUnit.MILLISECONDS.sleep(300);
                    assertThat(HeldFunction.INVOKED).as("while full").containsExactly("a", "b");
                    HeldFunction.answer("a");
                    third.complete(null);
                } catch (Throwable e) {
                    third.completeExceptionally(e);
                }
            });
            harness.processElement(new StreamRecord<>("c"));  // waits for room: a's answer

            third.get(10, TimeUnit.SECONDS);
            assertThat(HeldFunction.INVOKED).containsExactly("a", "b", "c");
            assertThat(output(harness)).containsExactly("a!");
        }
    }

    @Test
    void whileFullACheckpointGoesOnAndHoldsTheInputThatWaitsForRoom() throws Exception {
        HeldFunction.reset();
        OperatorSubtaskState[] snapshot = new OperatorSubtaskState[1];
        try (var harness = harness(1, false)) {
            harness.open();
            harness.processElement(new StreamRecord<>("a"));
            CompletableFuture<Void> checkpoint = new CompletableFuture<>();
            CompletableFuture.runAsync(() -> {
                try {
                    TimeUnit.MILLISECONDS.sleep(200);
                    // What the task does with a barrier: a mail at the lowest priority, taken while "b" waits.
                    harness.getTaskMailbox().put(new Mail(() -> {
                        snapshot[0] = harness.snapshot(1, 1);
                        HeldFunction.answer("a");
                    }, TaskMailbox.MIN_PRIORITY, "checkpoint"));
                    checkpoint.complete(null);
                } catch (Throwable e) {
                    checkpoint.completeExceptionally(e);
                }
            });
            harness.processElement(new StreamRecord<>("b"));

            checkpoint.get(10, TimeUnit.SECONDS);
            assertThat(snapshot[0]).as("taken while b waited for room").isNotNull();
            drain(harness);
            assertThat(output(harness)).containsExactly("a!");
        }
        HeldFunction.reset();
        try (var restored = harness(1, false)) {
            restored.initializeState(snapshot[0]);
            restored.open();
            assertThat(HeldFunction.INVOKED).as("held and waiting inputs asked again").containsExactly("a", "b");
        }
    }

    @Test
    void afterARestoreWhatWasInFlightAtTheCheckpointIsTakenAtOnceAndWhatWasReadAgainWaitsForRoom() throws Exception {
        HeldFunction.reset();
        OperatorSubtaskState snapshot;
        try (var harness = harness(1, false)) {
            harness.open();
            harness.processElement(new StreamRecord<>("a@100"));
            harness.setProcessingTime(5_000);
            snapshot = harness.snapshot(1, 5_000);
        }
        HeldFunction.reset();
        try (var restored = harness(1, false)) {
            restored.setProcessingTime(9_000);
            restored.initializeState(snapshot);
            restored.open();
            assertThat(HeldFunction.INVOKED).as("held at the checkpoint").containsExactly("a@100");
            restored.processElement(new StreamRecord<>("b@4000"));  // in flight at the checkpoint, beyond capacity
            restored.processElement(new StreamRecord<>("c@4999"));
            assertThat(HeldFunction.INVOKED).as("in flight at the checkpoint, taken without waiting")
                    .containsExactly("a@100", "b@4000", "c@4999");

            CompletableFuture<Void> room = new CompletableFuture<>();
            CompletableFuture.runAsync(() -> {
                try {
                    TimeUnit.MILLISECONDS.sleep(300);
                    assertThat(HeldFunction.INVOKED).as("while d waits").hasSize(3);
                    HeldFunction.answer("a@100");
                    HeldFunction.answer("b@4000");
                    HeldFunction.answer("c@4999");
                    room.complete(null);
                } catch (Throwable e) {
                    room.completeExceptionally(e);
                }
            });
            restored.processElement(new StreamRecord<>("d@9000"));  // read again after the restore: waits for room

            room.get(10, TimeUnit.SECONDS);
            assertThat(HeldFunction.INVOKED).containsExactly("a@100", "b@4000", "c@4999", "d@9000");
        }
    }

    @Test
    void anInputThatRightlyWaitsLongerIsTimedOutOnlyATimeoutAfterItsWait() throws Exception {
        HeldFunction.reset();
        long waitsUntil = 100_000;
        try (var harness = new OneInputStreamOperatorTestHarness<>(new CallStageOperatorFactory<>(
                new PatientHeldFunction(), 10, TIMEOUT_MS, 1_000, false, CallStageOperatorTest::madeAt),
                Types.STRING.createSerializer(new SerializerConfigImpl()))) {
            harness.setProcessingTime(0);
            harness.open();
            harness.processElement(new StreamRecord<>("spent~" + waitsUntil));
            harness.processElement(new StreamRecord<>("plain"));

            harness.setProcessingTime(TIMEOUT_MS + 1_000);
            drain(harness);
            assertThat(output(harness)).containsExactly("plain timed out");

            harness.setProcessingTime(waitsUntil + TIMEOUT_MS - 1_000);
            drain(harness);
            assertThat(output(harness)).as("waited its day, not yet a timeout more").hasSize(1);
            harness.setProcessingTime(waitsUntil + TIMEOUT_MS + 1_000);
            drain(harness);
            assertThat(output(harness)).containsExactly("plain timed out", "spent~" + waitsUntil + " timed out");
        }
    }

    @Test
    void anInputWithoutAnswerIsHandedToTheTimeoutOnceItsTimeHasPassed() throws Exception {
        HeldFunction.reset();
        try (var harness = harness(10, false)) {
            harness.setProcessingTime(0);
            harness.open();
            harness.processElement(new StreamRecord<>("slow"));

            harness.setProcessingTime(TIMEOUT_MS - 1);
            drain(harness);
            assertThat(output(harness)).isEmpty();

            harness.setProcessingTime(TIMEOUT_MS + 1_000);
            drain(harness);
            assertThat(output(harness)).containsExactly("slow timed out");
        }
    }

    @Test
    void theInputsItHoldsAreInTheCheckpointAndAskedAgainWhereTheirKeyLivesAfterARescale() throws Exception {
        HeldFunction.reset();
        OperatorSubtaskState snapshot;
        try (var harness = keyed(100, 1, 0)) {
            harness.open();
            for (int i = 0; i < 20; i++) {
                harness.processElement(new StreamRecord<>("k" + i));
            }
            HeldFunction.answer("k0");
            drain(harness);
            snapshot = harness.snapshot(1, 1);
        }
        Map<String, Integer> replayedOn = new LinkedHashMap<>();
        for (int instance = 0; instance < 2; instance++) {
            HeldFunction.reset();
            OperatorSubtaskState state = AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot,
                    MAX_PARALLELISM, 1, 2, instance);
            try (var harness = keyed(1, 2, instance)) {
                harness.initializeState(state);
                harness.open();
                // Restored while the task is not running: all of them are taken at once, beyond the capacity of 1.
                for (String input : HeldFunction.INVOKED) {
                    assertThat(replayedOn.put(input, instance)).as("replayed twice: " + input).isNull();
                    assertThat(KeyGroupRangeAssignment.assignKeyToParallelOperator(input, MAX_PARALLELISM, 2))
                            .as(input).isEqualTo(instance);
                }
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 1; i < 20; i++) {
            expected.add("k" + i);
        }
        assertThat(replayedOn.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(replayedOn.values()).contains(0, 1);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> keyed(int capacity, int parallelism,
            int instance) throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<String, String, String>(new CallStageOperatorFactory<>(
                new HeldFunction(), capacity, TIMEOUT_MS, 1_000, false, CallStageOperatorTest::madeAt), input -> input, Types.STRING, MAX_PARALLELISM,
                parallelism, instance);
        harness.getStreamConfig().setupNetworkInputs(Types.STRING.createSerializer(new SerializerConfigImpl()));
        harness.getStreamConfig().serializeAllConfigs();
        return harness;
    }
}
