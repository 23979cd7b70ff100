package io.llmstream.call;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.spend.SpendEvent;
import io.llmstream.spend.TenantWallet;
import io.llmstream.spend.UtcDay;
import io.netty.util.HashedWheelTimer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One call's part of its tenant's spend cap, against a wallet whose coordinator has nothing left. */
class CallSpendTest {
    private static final LlmStreamConfig CONFIG = TestConfigs.offline(
            "models: {m1: {price: {input: 1000, output: 2000}}}",
            "tenants: {team-d: {spend-per-day: 1.00}, team-w: {spend-per-day: 1.00, when-spent: wait}, team-a: {}}");

    private final HashedWheelTimer timer = new HashedWheelTimer();
    private final List<SpendEvent> sent = new ArrayList<>();
    private final TenantWallet wallet = new TenantWallet(sent::add, System::currentTimeMillis);
    private final TenantSpend spend = new TenantSpend(CONFIG, wallet);
    private final List<String> spentMessages = new ArrayList<>();
    private int went;

    @AfterEach
    void stopTimer() {
        timer.stop();
    }

    private static LlmRequest request(String tenant) {
        return new LlmRequest("r-1", "m1", 0, "{\"messages\": []}", null, 10, 50, null, 0, 0, null).ofTenant(tenant);
    }

    private CallSpend callOf(String tenant) {
        LlmRequest request = request(tenant);
        return new CallSpend(spend, spend.spenderOf(request), spend.reserveNanos(request), () -> went++,
                spentMessages::add, timer);
    }

    private void refuseTheAsk() {
        SpendEvent.Ask ask = (SpendEvent.Ask) sent.get(sent.size() - 1);
        wallet.granted(new SpendEvent.Grant(ask.tenant(), ask.day(), 0, true));
    }

    @Test
    void aRequestReservesItsMostGoesAndSpendsWhatItsAnswerCost() {
        CallSpend call = callOf("team-d");
        // 10 prompt tokens at $1,000 a million and 50 completion tokens at $2,000: $0.11.
        assertThat(spend.reserveNanos(request("team-d"))).isEqualTo(110_000_000L);
        call.reserve();
        assertThat(went).as("waits for the coordinator").isZero();
        wallet.granted(new SpendEvent.Grant("team-d", UtcDay.of(System.currentTimeMillis()), 200_000_000L, false));
        assertThat(went).isEqualTo(1);
        call.settle(CONFIG.model("m1"), 10, 20);
        assertThat(wallet.spentToday("team-d")).as("$0.01 + $0.04").isEqualTo(50_000_000L);
    }

    @Test
    void aRefusedRequestOfADeadLetterTenantFailsNamingTheSetting() {
        callOf("team-d").reserve();
        refuseTheAsk();
        assertThat(went).isZero();
        assertThat(spentMessages).singleElement().asString()
                .startsWith("tenant team-d has spent its 1.00 USD of " + UtcDay.format(UtcDay.of(System.currentTimeMillis())))
                .endsWith("(UTC): tenants.team-d.spend-per-day");
    }

    @Test
    void aRefusedRequestOfAWaitingTenantWaitsForTheNextUtcDayAndIsNotTimedOutMeanwhile() {
        long before = System.currentTimeMillis();
        callOf("team-w").reserve();
        refuseTheAsk();
        assertThat(went).isZero();
        assertThat(spentMessages).as("no dead letter").isEmpty();
        assertThat(spend.waitsUntilMillis(request("team-w"))).isEqualTo(UtcDay.nextStartMillis(before));
        assertThat(spend.waitsUntilMillis(request("team-d"))).as("not a waiting tenant").isLessThan(before);
    }

    @Test
    void aTenantWithoutCapGoesAtOnceAndSettlesNothing() {
        LlmRequest request = request("team-a");
        assertThat(spend.spenderOf(request)).isNull();
        CallSpend call = new CallSpend(null, null, 0, () -> went++, spentMessages::add, null);
        call.reserve();
        call.settle(CONFIG.model("m1"), 10, 20);
        call.release();
        assertThat(went).isEqualTo(1);
        assertThat(sent).isEmpty();
    }
}
