package io.llmstream.call;

import io.llmstream.config.ModelSettings;
import io.llmstream.config.TenantSettings;
import io.llmstream.record.LlmRequest;
import io.llmstream.spend.TenantWallet;
import io.llmstream.spend.UtcDay;
import io.netty.util.Timer;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One call's part of its tenant's spend cap: the call reserves what it may cost before it waits for its turn,
 * and settles once — at what the answer cost, or at nothing when it fails or is withdrawn. When the tenant's
 * day is spent the call fails ({@code when-spent: dead-letter}) or tries again when the next UTC day begins
 * ({@code wait}).
 */
final class CallSpend implements TenantWallet.Waiter {
    /** Spread over the first seconds of a new day, so that a waiting backlog does not ask all at once. */
    private static final long NEW_DAY_SPREAD_MILLIS = 5_000;

    private final TenantSpend spend;
    private final TenantSettings spender;
    private final long nanos;
    private final Runnable go;
    private final Consumer<String> spent;
    private final Timer timer;
    private final AtomicReference<TenantWallet.Reservation> held = new AtomicReference<>();
    private volatile boolean over;

    CallSpend(TenantSpend spend, TenantSettings spender, long nanos, Runnable go, Consumer<String> spent,
            Timer timer) {
        this.spend = spend;
        this.spender = spender;
        this.nanos = nanos;
        this.go = go;
        this.spent = spent;
        this.timer = timer;
    }

    /**
     * The spend of a call of {@code request}; one that lets the call go at once and settles nothing when its
     * tenant has no cap.
     *
     * @param go the call's next step once the money is reserved
     * @param spent fails the call with the message when the tenant's day is spent
     */
    static CallSpend of(Routes routes, LlmRequest request, Runnable go, Consumer<String> spent,
            Supplier<Timer> timer) {
        TenantSpend spend = routes.spend();
        TenantSettings spender = spend == null ? null : spend.spenderOf(request);
        return spender == null ? new CallSpend(null, null, 0, go, spent, null)
                : new CallSpend(spend, spender, spend.reserveNanos(request), go, spent, timer.get());
    }

    /** Reserves what the call may cost, then lets it go; at once when its tenant has no cap. */
    void reserve() {
        if (spender == null) {
            go.run();
        } else if (!over) {
            spend.wallet().reserve(spender.name(), nanos, this);
        }
    }

    @Override
    public void reserved(TenantWallet.Reservation reservation) {
        held.set(reservation);
        if (over) {
            release();
            return;
        }
        go.run();
    }

    @Override
    public void refused() {
        long now = System.currentTimeMillis();
        if (spender.whenSpent() == TenantSettings.WhenSpent.WAIT) {
            long nextDay = UtcDay.nextStartMillis(now);
            spend.waitsUntil(spender.name(), nextDay);
            long delay = nextDay - now + ThreadLocalRandom.current().nextLong(NEW_DAY_SPREAD_MILLIS);
            try {
                timer.newTimeout(fired -> reserve(), delay, TimeUnit.MILLISECONDS);
            } catch (IllegalStateException stopped) {
                // The stage is closing; the request is in its checkpoint.
            }
        } else {
            spent.accept(TenantSpend.spentMessage(spender, now));
        }
    }

    /** The call answered: its cost by the provider's usage is spent, the rest of the reservation freed. */
    void settle(ModelSettings model, long promptTokens, long completionTokens) {
        over = true;
        TenantWallet.Reservation reservation = held.getAndSet(null);
        if (reservation != null) {
            spend.wallet().settle(reservation, TenantSpend.costNanos(model, promptTokens, completionTokens));
        }
    }

    /** The call failed or was withdrawn: nothing was spent. */
    void release() {
        over = true;
        TenantWallet.Reservation reservation = held.getAndSet(null);
        if (reservation != null) {
            spend.wallet().settle(reservation, 0);
        }
    }
}
