package io.llmstream.spend;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three call-stage instances and the coordinator, events passed in order: however a capped tenant's requests
 * spread over the instances and however their answers come back, what is spent and held for requests in flight
 * never passes the cap, and a request is refused only when what is left of the day is less than it may cost
 * even if every request in flight cost nothing.
 */
class SpendCapTest {
    private static final long NOON = 20_000L * 86_400_000L + 43_200_000L;
    private static final long CAP = 1_000_000;
    private static final int INSTANCES = 3;

    private final ArrayDeque<Runnable> events = new ArrayDeque<>();
    private final List<TenantWallet> wallets = new ArrayList<>();
    private long now = NOON;
    private final Allowances allowances = new Allowances(Map.of("d", CAP), INSTANCES,
            (subtask, event) -> events.add(() -> deliver(subtask, event)));
    private long spent;
    private final List<Request> inFlight = new ArrayList<>();
    private int refused;
    private int waiting;

    private final class Request implements TenantWallet.Waiter {
        final TenantWallet wallet;
        final long most;
        TenantWallet.Reservation reservation;

        Request(TenantWallet wallet, long most) {
            this.wallet = wallet;
            this.most = most;
        }

        @Override
        public void reserved(TenantWallet.Reservation made) {
            reservation = made;
            waiting--;
            inFlight.add(this);
        }

        @Override
        public void refused() {
            waiting--;
            refused++;
            assertThat(CAP - spent).as("refused with less left than it may cost, were all in flight free")
                    .isLessThan(most);
        }
    }

    private void deliver(int subtask, SpendEvent event) {
        if (event instanceof SpendEvent.Grant grant) {
            wallets.get(subtask).granted(grant);
        } else if (event instanceof SpendEvent.Reclaim reclaim) {
            wallets.get(subtask).reclaimed(reclaim);
        }
    }

    private void deliverAll() {
        while (!events.isEmpty()) {
            events.poll().run();
        }
    }

    @Test
    void spendNeverPassesTheCapAndRefusesOnlyWithinOneRequestOfIt() {
        for (int i = 0; i < INSTANCES; i++) {
            int subtask = i;
            wallets.add(new TenantWallet(event -> events.add(() -> {
                if (event instanceof SpendEvent.Ask ask) {
                    allowances.ask(subtask, ask, now);
                } else {
                    allowances.givenBack(subtask, (SpendEvent.GiveBack) event, now);
                }
            }), () -> now));
        }
        Random random = new Random(7);
        for (int step = 0; step < 20_000 && refused < 100; step++) {
            now += 10;
            if (random.nextInt(3) > 0) {
                Request request = new Request(wallets.get(random.nextInt(INSTANCES)), 1_000 + random.nextInt(9_000));
                waiting++;
                request.wallet.reserve("d", request.most, request);
            }
            // Answers come back in any order, costing between half and all of what they reserved.
            if (!inFlight.isEmpty() && (inFlight.size() > 30 || random.nextBoolean())) {
                Request done = inFlight.remove(random.nextInt(inFlight.size()));
                long cost = done.most / 2 + random.nextInt((int) (done.most / 2) + 1);
                spent += cost;
                done.wallet.settle(done.reservation, cost);
            }
            allowances.tick(now);
            deliverAll();
            long reserved = inFlight.stream().mapToLong(request -> request.most).sum();
            assertThat(spent + reserved).as("spent and held for requests in flight").isLessThanOrEqualTo(CAP);
        }
        assertThat(refused).as("the tenant reached its cap").isEqualTo(100);
        while (!inFlight.isEmpty()) {
            Request done = inFlight.remove(0);
            spent += done.most / 2;
            done.wallet.settle(done.reservation, done.most / 2);
            for (int tick = 0; tick < 5; tick++) {
                now += Allowances.RETRY_MILLIS;
                allowances.tick(now);
                deliverAll();
            }
        }
        assertThat(waiting).as("no request is left waiting").isZero();
        assertThat(wallets.stream().mapToLong(wallet -> wallet.spentToday("d")).sum()).isEqualTo(spent);
    }
}
