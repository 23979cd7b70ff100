package io.llmstream.spend;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class TenantWalletTest {
    private static final long NOON = 20_000L * 86_400_000L + 43_200_000L;
    private static final long DAY = 20_000;
    private final AtomicLong clock = new AtomicLong(NOON);
    private final List<SpendEvent> sent = new ArrayList<>();
    private final TenantWallet wallet = new TenantWallet(sent::add, clock::get);

    /** Records what a request heard. */
    private static final class Request implements TenantWallet.Waiter {
        TenantWallet.Reservation reservation;
        boolean refused;

        @Override
        public void reserved(TenantWallet.Reservation made) {
            reservation = made;
        }

        @Override
        public void refused() {
            refused = true;
        }
    }

    private Request reserve(long nanos) {
        Request request = new Request();
        wallet.reserve("d", nanos, request);
        return request;
    }

    @Test
    void requestsQueueBehindOneAskAndGoInOrderWhenItIsGranted() {
        Request first = reserve(100);
        Request second = reserve(50);
        assertThat(sent).as("one ask for both").containsExactly(new SpendEvent.Ask("d", DAY, 100));
        assertThat(first.reservation).isNull();
        wallet.granted(new SpendEvent.Grant("d", DAY, 400, false));
        assertThat(first.reservation).isEqualTo(new TenantWallet.Reservation("d", DAY, 100));
        assertThat(second.reservation).isEqualTo(new TenantWallet.Reservation("d", DAY, 50));
        Request third = reserve(250);
        assertThat(third.reservation).as("held here: no ask").isNotNull();
        assertThat(sent).hasSize(1);
    }

    @Test
    void settlingSpendsTheCostAndFreesTheRest() {
        wallet.granted(new SpendEvent.Grant("d", DAY, 100, false));
        Request request = reserve(100);
        wallet.settle(request.reservation, 30);
        assertThat(wallet.spentToday("d")).isEqualTo(30);
        Request next = reserve(70);
        assertThat(next.reservation).as("the 70 freed by the answer").isNotNull();
        wallet.settle(next.reservation, 0);
        assertThat(wallet.spentToday("d")).as("a failed request spends nothing").isEqualTo(30);
        assertThat(wallet.snapshot()).containsExactly(new TenantWallet.Holding("d", DAY, 70, 30));
    }

    @Test
    void aRefusedRequestAndEveryOneAsCostlyAreRefusedWithoutAskingAgain() {
        Request refused = reserve(100);
        Request asCostly = reserve(120);
        Request cheaper = reserve(40);
        wallet.granted(new SpendEvent.Grant("d", DAY, 0, true));
        assertThat(refused.refused).isTrue();
        assertThat(asCostly.refused).isTrue();
        assertThat(cheaper.refused).isFalse();
        assertThat(sent).as("an ask for the cheaper one").containsExactly(new SpendEvent.Ask("d", DAY, 100),
                new SpendEvent.Ask("d", DAY, 40));
        assertThat(reserve(100).refused).as("refused here").isTrue();
        assertThat(sent).hasSize(2);
    }

    @Test
    void aRequestThatWaitsGoesWhenAnAnswerFreesEnough() {
        wallet.granted(new SpendEvent.Grant("d", DAY, 100, false));
        Request first = reserve(100);
        Request second = reserve(100);
        assertThat(second.reservation).isNull();
        wallet.settle(first.reservation, 10);
        assertThat(second.reservation).as("90 freed by the answer are not enough").isNull();
        wallet.granted(new SpendEvent.Grant("d", DAY, 10, false));
        assertThat(second.reservation).isNotNull();
    }

    @Test
    void aReclaimGivesBackWhatIsFreeAndTellsWhatIsReserved() {
        wallet.granted(new SpendEvent.Grant("d", DAY, 500, false));
        Request held = reserve(200);
        wallet.reclaimed(new SpendEvent.Reclaim("d", DAY));
        assertThat(sent).containsExactly(new SpendEvent.GiveBack("d", DAY, 300, 200, 0));
        assertThat(reserve(1).reservation).as("nothing free left").isNull();
        assertThat(held.reservation).isNotNull();
    }

    @Test
    void aSnapshotCountsReservationsAsHeldForTheRequestsThatAskAgainAfterARestore() {
        wallet.granted(new SpendEvent.Grant("d", DAY, 500, false));
        Request inFlight = reserve(200);
        Request answered = reserve(100);
        wallet.settle(answered.reservation, 60);
        List<TenantWallet.Holding> snapshot = wallet.snapshot();
        assertThat(snapshot).containsExactly(new TenantWallet.Holding("d", DAY, 440, 60));
        assertThat(inFlight.reservation).isNotNull();

        TenantWallet restored = new TenantWallet(sent::add, clock::get);
        restored.restore(snapshot);
        Request again = new Request();
        restored.reserve("d", 200, again);
        assertThat(again.reservation).isNotNull();
        assertThat(restored.spentToday("d")).isEqualTo(60);
        clock.addAndGet(86_400_000L);
        assertThat(restored.spentToday("d")).as("a new day").isZero();
        clock.addAndGet(86_400_000L);
        assertThat(restored.snapshot()).as("days before yesterday are not kept").isEmpty();
    }
}
