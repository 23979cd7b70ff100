package io.llmstream.limit;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Admission at send time, with time moved by hand: exact instants, priorities, keys and feedback. */
class ModelDispatcherTest {
    private static final long T0 = 1_000_000_000_000L;
    private static final long AGING = 10_000_000L;

    private final ManualTimer timer = new ManualTimer(T0);
    /** What was admitted: ticket name, key index, time since T0 in ms. */
    private final List<String> admitted = new ArrayList<>();

    private ModelDispatcher dispatcher(String keys, String model) {
        LlmStreamConfig config = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m: {endpoint: mock, headroom: 0, " + model + "}}",
                "endpoints: {mock: {api-keys: " + keys + "}}");
        return new ModelDispatcher(config.model("m"), config.endpointOf("m"), config.call().breaker(), timer);
    }

    private ModelDispatcher shardDispatcher(String model, int shards) {
        LlmStreamConfig config = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m: {endpoint: mock, headroom: 0, " + model + "}}", "endpoints: {mock: {api-keys: [a]}}");
        return new ModelDispatcher(config.model("m"), config.endpointOf("m"), config.call().breaker(), timer, shards);
    }

    private Ticket ticket(String name, int priority, long tokens) {
        return ticket(name, priority, tokens, 0);
    }

    private Ticket ticket(String name, int priority, long tokens, long notBeforeMicros) {
        return new Ticket(priority, 10, AGING, tokens, timer.nowMicros(), notBeforeMicros, new Ticket.Admission() {
            @Override
            public void admitted(int keyIndex, long waitedMicros) {
                admitted.add(name + "@k" + keyIndex + "@" + (timer.nowMicros() - T0) / 1000);
            }

            @Override
            public void refused(String reason) {
                admitted.add(name + " refused: " + reason);
            }
        });
    }

    @Test
    void startsAtTheRpmWithoutABurstAndLetsTheBurstOutAfterAnIdleSpell() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 500ms");
        for (int i = 0; i < 3; i++) {
            dispatcher.submit(ticket("s" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);
        for (int i = 0; i < 8; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);

        assertThat(admitted).containsExactly("s0@k0@0", "s1@k0@100", "s2@k0@200",
                "r0@k0@1000", "r1@k0@1000", "r2@k0@1000", "r3@k0@1000", "r4@k0@1000",
                "r5@k0@1100", "r6@k0@1200", "r7@k0@1300");
    }

    @Test
    void aShardPacesAtItsShareOfTheLimits() {
        ModelDispatcher quarter = shardDispatcher("rpm: 600, burst: 0s", 4);   // 150 RPM: one every 400 ms
        for (int i = 0; i < 3; i++) {
            quarter.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);

        assertThat(admitted).containsExactly("r0@k0@0", "r1@k0@400", "r2@k0@800");
    }

    @Test
    void aShardTakesItsShareOfTheLimitTheProviderReportsAndIgnoresTheKeysResets() {
        ModelDispatcher quarter = shardDispatcher("rpm: 600, burst: 0s", 4);
        // The key's whole limit is 300: a quarter of it is 75 RPM, one every 800 ms. The reset (the whole key's
        // bucket, which the other shards spend too) says nothing about this share.
        quarter.observe(0, new ProviderLimits(300, -1, Duration.ofSeconds(5), null, null), T0);
        for (int i = 0; i < 3; i++) {
            quarter.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(2_000_000);

        assertThat(admitted).containsExactly("r0@k0@0", "r1@k0@800", "r2@k0@1600");
    }

    @Test
    void aRestoredBudgetStartsEmptySoNoBurstFollowsARestore() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 500ms");
        // Restored from a checkpoint long ago: full, as far as the state knows.
        dispatcher.restore(new BudgetState(new String[] {"mock#1"}, new long[] {T0 - 60_000_000L, 0, 0, 0}));
        for (int i = 0; i < 3; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);

        assertThat(admitted).as("no burst: one at once, then at the rate").containsExactly("r0@k0@0", "r1@k0@100",
                "r2@k0@200");
    }

    @Test
    void chargesTokensAgainstTheTpmAndLetsABigRequestGoOnAFullBucket() {
        ModelDispatcher dispatcher = dispatcher("[a]", "tpm: 6000, burst: 1s");   // 100 tokens a second
        timer.advanceBy(1_000_000);   // the bucket fills: the start grants no burst
        dispatcher.submit(ticket("small", 0, 100));
        dispatcher.submit(ticket("big", 0, 500));
        dispatcher.submit(ticket("after", 0, 100));
        timer.advanceBy(10_000_000);

        assertThat(admitted).containsExactly("small@k0@1000", "big@k0@2000", "after@k0@7000");
    }

    @Test
    void higherPriorityGoesFirstAndWaitingRaisesPriority() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 60, burst: 0s");   // one a second
        dispatcher.submit(ticket("first", 0, 1));
        dispatcher.submit(ticket("low", 0, 1));
        timer.advanceBy(100_000);
        dispatcher.submit(ticket("high", 2, 1));
        timer.advanceBy(1_900_000);

        assertThat(admitted).containsExactly("first@k0@0", "high@k0@1000", "low@k0@2000");

        admitted.clear();
        dispatcher.rateLimited(0, 30_000_000);   // nothing goes for 30 s
        dispatcher.submit(ticket("old", 0, 1));
        timer.advanceBy(25_000_000);   // two and a half ageing steps: "old" now counts as priority 2.5
        dispatcher.submit(ticket("new2", 2, 1));
        dispatcher.submit(ticket("new3", 3, 1));
        timer.advanceBy(10_000_000);
        assertThat(admitted).extracting(entry -> entry.substring(0, entry.indexOf('@')))
                .containsExactly("new3", "old", "new2");
    }

    @Test
    void aBackoffWaitsWithoutHoldingUpOthers() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        dispatcher.submit(ticket("retry", 5, 1, T0 + 250_000));
        dispatcher.submit(ticket("fresh", 0, 1));
        timer.advanceBy(1_000_000);

        assertThat(admitted).containsExactly("fresh@k0@0", "retry@k0@250");
    }

    @Test
    void sendsEachRequestOnTheKeyThatCanTakeItSoonestInProportionToWeights() {
        ModelDispatcher dispatcher = dispatcher("[a, {key: b, weight: 0.5}]", "rpm: 600, burst: 0s");
        for (int i = 0; i < 30; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(2_000_000);

        long onA = admitted.stream().filter(entry -> entry.contains("@k0@")).count();
        long onB = admitted.stream().filter(entry -> entry.contains("@k1@")).count();
        assertThat(onA + onB).isEqualTo(30);
        assertThat(onA).isEqualTo(2 * onB);
    }

    @Test
    void degradesAKeyAfterThreeFailuresAndRestoresItAfterASuccess() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 6000, burst: 0s");   // 10 ms apart; degraded: 200 ms
        for (int i = 0; i < 3; i++) {
            dispatcher.failed(0);
        }
        assertThat(dispatcher.keyStatus().get("mock#1").degraded()).isTrue();
        dispatcher.submit(ticket("d1", 0, 1));
        dispatcher.submit(ticket("d2", 0, 1));
        timer.advanceBy(300_000);
        assertThat(admitted).containsExactly("d1@k0@0", "d2@k0@200");

        dispatcher.succeeded(0);
        assertThat(dispatcher.keyStatus().get("mock#1").degraded()).isFalse();
        admitted.clear();
        dispatcher.submit(ticket("n1", 0, 1));
        dispatcher.submit(ticket("n2", 0, 1));
        timer.advanceBy(300_000);
        assertThat(admitted).containsExactly("n1@k0@400", "n2@k0@410");
    }

    @Test
    void aRefusedKeyIsTakenOutAndItsTrafficMovesToTheOthers() {
        ModelDispatcher dispatcher = dispatcher("[a, b]", "rpm: 600, burst: 0s");
        dispatcher.refused(0, 401);
        for (int i = 0; i < 3; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);
        assertThat(admitted).containsExactly("r0@k1@0", "r1@k1@100", "r2@k1@200");

        admitted.clear();
        dispatcher.refused(1, 403);
        dispatcher.submit(ticket("orphan", 0, 1));
        assertThat(admitted).containsExactly("orphan refused: every API key of endpoint mock was refused by the provider");
    }

    @Test
    void adoptsALowerLimitThatTheProviderReports() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        dispatcher.observe(0, new ProviderLimits(300, -1, null, null, null), T0);
        for (int i = 0; i < 3; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(1_000_000);
        assertThat(admitted).containsExactly("r0@k0@0", "r1@k0@200", "r2@k0@400");

        dispatcher.observe(0, new ProviderLimits(600, -1, null, null, null), T0);
        assertThat(dispatcher.keyStatus().get("mock#1").scale()).isEqualTo(1.0);
    }

    @Test
    void waitsOutTheBudgetSomeoneElseSpentOnTheKey() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 500ms");
        dispatcher.observe(0, new ProviderLimits(600, -1, Duration.ofMillis(900), null, null), T0);
        dispatcher.submit(ticket("r", 0, 1));
        timer.advanceBy(1_000_000);

        assertThat(admitted).containsExactly("r@k0@500");
    }

    @Test
    void datesTheProviderReportByItsProcessingTimeWhenTheRequestReachedItLate() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        // Sent at T0, answered at T0 + 400 ms after 100 ms of processing: the provider decided at T0 + 300 ms.
        timer.advanceBy(400_000);
        dispatcher.observe(0, new ProviderLimits(600, -1, Duration.ofMillis(1000), null, Duration.ofMillis(100)), T0);
        dispatcher.submit(ticket("r", 0, 1));
        timer.advanceBy(2_000_000);

        assertThat(admitted).containsExactly("r@k0@1300");
    }

    @Test
    void datesAStreamedAnswersReportByItsHeadersNotByTheEndOfTheStream() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        // Sent at T0; the headers came at T0 + 10 ms (no processing yet), the stream ended at T0 + 900 ms.
        timer.advanceBy(900_000);
        dispatcher.observe(0, new ProviderLimits(600, -1, Duration.ofMillis(1000), null, Duration.ZERO), T0,
                T0 + 10_000);
        dispatcher.submit(ticket("r", 0, 1));
        timer.advanceBy(2_000_000);

        assertThat(admitted).containsExactly("r@k0@1010");
    }

    @Test
    void holdsARateLimitedKeyAndSlowsItWhenTheProviderSaysNothingElse() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        dispatcher.submit(ticket("r0", 0, 1));
        dispatcher.rateLimited(0, 2_000_000);
        dispatcher.submit(ticket("r1", 0, 1));
        dispatcher.submit(ticket("r2", 0, 1));
        timer.advanceBy(3_000_000);

        // The pace dropped to 80% at the 429 and recovered 1% a second since: 100 ms / 0.82.
        assertThat(admitted).containsExactly("r0@k0@0", "r1@k0@2000", "r2@k0@2121");
        assertThat(dispatcher.keyStatus().get("mock#1").scale()).isBetween(0.8, 0.85);
    }

    @Test
    void recoversQuicklyToJustUnderThePaceOfTheLast429ThenSlowly() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");
        dispatcher.rateLimited(0, 0);

        timer.advanceBy(10_000_000);
        assertThat(dispatcher.keyStatus().get("mock#1").scale()).as("0.8 + 10 s at 1%/s").isCloseTo(0.9, within(1e-6));
        timer.advanceBy(15_000_000);
        // 0.95 (5% under the 429's pace) after 15 s, then 0.1%/s.
        assertThat(dispatcher.keyStatus().get("mock#1").scale()).isCloseTo(0.96, within(1e-6));

        // A second 429 at 0.965: down to 0.772, at 0.91675 (5% under 0.965) after 14.475 s, then 0.1%/s.
        timer.advanceBy(5_000_000);
        dispatcher.rateLimited(0, 0);
        timer.advanceBy(20_000_000);
        assertThat(dispatcher.keyStatus().get("mock#1").scale()).isCloseTo(0.91675 + 5.525 * 0.001, within(1e-6));
    }

    @Test
    void aDailyLimitAllowsTheDaysQuotaAtTheMinutePace() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, rpd: 3, burst: 0s");
        for (int i = 0; i < 4; i++) {
            dispatcher.submit(ticket("r" + i, 0, 1));
        }
        timer.advanceBy(3_600_000_000L);

        assertThat(admitted).containsExactly("r0@k0@0", "r1@k0@100", "r2@k0@200");
        assertThat(dispatcher.waiting()).isEqualTo(1);
    }

    @Test
    void holdsRequestsWhileTheCircuitIsOpenAndReleasesThemAfterTheProbe() {
        LlmStreamConfig config = TestConfigs.withEndpoint("http://127.0.0.1:9/v1", "models: {m: {endpoint: mock}}",
                "call: {breaker: {minimum-calls: 4, failure-rate: 0.5, open-for: 2s, when-open: wait}}");
        ModelDispatcher dispatcher = new ModelDispatcher(config.model("m"), config.endpointOf("m"),
                config.call().breaker(), timer);
        for (int i = 0; i < 4; i++) {
            dispatcher.failed(0);
        }
        assertThat(dispatcher.isCircuitOpen()).isTrue();

        dispatcher.submit(ticket("probe", 0, 1));
        dispatcher.submit(ticket("held", 0, 1));
        timer.advanceBy(1_000_000);
        assertThat(admitted).isEmpty();

        timer.advanceBy(1_000_000);
        assertThat(admitted).containsExactly("probe@k0@2000");

        timer.advanceBy(500_000);
        dispatcher.succeeded(0);
        assertThat(admitted).containsExactly("probe@k0@2000", "held@k0@2500");
        assertThat(dispatcher.isCircuitOpen()).isFalse();
        assertThat(dispatcher.circuitOpenMillis()).isEqualTo(2500);
    }

    @Test
    void snapshotAndRestoreCarryEveryKeysBudgetById() {
        ModelDispatcher dispatcher = dispatcher("[{key: a, id: first}, {key: b, id: second}]",
                "rpm: 600, tpm: 60000, burst: 0s");
        for (int i = 0; i < 4; i++) {
            dispatcher.submit(ticket("r" + i, 0, 100));
        }
        BudgetState state = dispatcher.snapshot();
        assertThat(state.keyIds()).containsExactly("first", "second");

        ModelDispatcher restored = dispatcher("[{key: b, id: second}, {key: a, id: first}]",
                "rpm: 600, tpm: 60000, burst: 0s");
        restored.restore(state);
        BudgetState again = restored.snapshot();
        assertThat(again.keyIds()).containsExactly("second", "first");
        assertThat(again.fullAtMicros()).isEqualTo(state.fullAtMicros());
    }

    @Test
    void aCappedTenantStaysAtItsCapWhileOthersUseTheRestOfTheModel() {
        ModelDispatcher dispatcher = dispatcher("[a]", "rpm: 600, burst: 0s");   // one every 100 ms
        for (int i = 0; i < 200; i++) {
            dispatcher.submit(ticket("c" + i, 0, 1).forTenant("capped", 4, 60, 0));   // one a second
            dispatcher.submit(ticket("o" + i, 0, 1).forTenant("other", 1));
        }
        timer.advanceBy(10_000_000);

        long capped = admitted.stream().filter(entry -> entry.startsWith("c")).count();
        long other = admitted.stream().filter(entry -> entry.startsWith("o")).count();
        assertThat(capped).as("60 RPM for 10 s, though its weight is four times the other's").isBetween(10L, 11L);
        assertThat(other).as("the rest of the model's 600 RPM").isGreaterThanOrEqualTo(88L);
        assertThat(capped + other).isBetween(99L, 101L);
    }
}
