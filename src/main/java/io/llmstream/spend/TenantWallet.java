package io.llmstream.spend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One call-stage instance's share of the capped tenants' days: a request of a capped tenant reserves what it may
 * cost at most before it waits for its turn (prompt estimate + max_tokens at its models' highest price), and
 * settles when it ends — at what the provider's usage says it cost, or at nothing when it failed. When what it
 * holds is short of the next request it asks the {@link SpendCoordinator} for the difference; the requests that
 * come meanwhile queue behind it, in order, and go as soon as money is there (granted, or freed by an answer
 * that cost less than reserved). A request the coordinator refuses can never fit the day, and neither can any
 * as costly: those are refused here without asking again.
 *
 * <p>Its state (what it holds of each day, reservations included, and what it spent) is snapshotted with the
 * instance; after a restore the requests that were in flight reserve again from it. Thread-safe; the callbacks
 * run outside its lock.
 */
public final class TenantWallet {
    /** Told once whether a reservation was made. */
    public interface Waiter {
        void reserved(Reservation reservation);

        /** The tenant's day has no room for the request. */
        void refused();
    }

    /** Money held for one request until it ends. */
    public record Reservation(String tenant, long day, long nanos) {}

    /** What an instance holds of a tenant's day, for its checkpoint. */
    public record Holding(String tenant, long day, long heldNanos, long spentNanos) implements java.io.Serializable {}

    private record TenantDay(String tenant, long day) {}

    private record Pending(long nanos, Waiter waiter) {}

    private static final class Purse {
        long free;
        long reserved;
        long spent;
        /** The request the ask in flight is for; null when none is in flight. */
        Pending askedFor;
        /** The least a refused request cost: no request that may cost as much can fit the day. */
        long refusedNanos = Long.MAX_VALUE;
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
    }

    private final Consumer<SpendEvent> toCoordinator;
    private final LongSupplier clock;
    private final Map<TenantDay, Purse> purses = new HashMap<>();

    public TenantWallet(Consumer<SpendEvent> toCoordinator, LongSupplier clock) {
        this.toCoordinator = toCoordinator;
        this.clock = clock;
    }

    /** Reserves {@code nanos} of the tenant's day for a request; the waiter hears the outcome, maybe at once. */
    public void reserve(String tenant, long nanos, Waiter waiter) {
        TenantDay key = new TenantDay(tenant, UtcDay.of(clock.getAsLong()));
        List<Runnable> outcomes = new ArrayList<>(1);
        SpendEvent ask;
        synchronized (this) {
            Purse purse = purses.computeIfAbsent(key, day -> new Purse());
            if (nanos >= purse.refusedNanos) {
                outcomes.add(waiter::refused);
            } else {
                purse.pending.add(new Pending(nanos, waiter));
                serve(key, purse, outcomes);
            }
            ask = askIfShort(key, purse);
        }
        finish(outcomes, ask);
    }

    /** Ends a reservation: {@code costNanos} were spent (0 when the request failed), the rest is free again. */
    public void settle(Reservation reservation, long costNanos) {
        TenantDay key = new TenantDay(reservation.tenant(), reservation.day());
        List<Runnable> outcomes = new ArrayList<>();
        SpendEvent ask;
        synchronized (this) {
            Purse purse = purses.computeIfAbsent(key, day -> new Purse());
            purse.reserved -= reservation.nanos();
            purse.spent += costNanos;
            purse.free += reservation.nanos() - costNanos;
            serve(key, purse, outcomes);
            ask = askIfShort(key, purse);
        }
        finish(outcomes, ask);
    }

    /** The coordinator's answer to this instance's ask. */
    public void granted(SpendEvent.Grant grant) {
        TenantDay key = new TenantDay(grant.tenant(), grant.day());
        List<Runnable> outcomes = new ArrayList<>();
        SpendEvent ask;
        synchronized (this) {
            Purse purse = purses.computeIfAbsent(key, day -> new Purse());
            Pending askedFor = purse.askedFor;
            purse.askedFor = null;
            purse.free += grant.nanos();
            serve(key, purse, outcomes);
            if (grant.refused() && askedFor != null && purse.pending.peek() == askedFor) {
                // It can never fit the day, and neither can any request that may cost as much.
                purse.refusedNanos = Math.min(purse.refusedNanos, askedFor.nanos());
                for (Iterator<Pending> waiting = purse.pending.iterator(); waiting.hasNext(); ) {
                    Pending next = waiting.next();
                    if (next.nanos() >= purse.refusedNanos) {
                        waiting.remove();
                        outcomes.add(next.waiter()::refused);
                    }
                }
                serve(key, purse, outcomes);
            }
            ask = askIfShort(key, purse);
        }
        finish(outcomes, ask);
    }

    /** A round of the coordinator: it gets back all that is free here, and hears what is reserved. */
    public void reclaimed(SpendEvent.Reclaim reclaim) {
        long back = 0;
        long reserved = 0;
        long needed = 0;
        synchronized (this) {
            Purse purse = purses.get(new TenantDay(reclaim.tenant(), reclaim.day()));
            if (purse != null) {
                // Whatever is free is short of the next request here (else it would have gone): the coordinator
                // pools it with the others', and the ask in flight is for the whole of the first waiting request.
                back = Math.max(0, purse.free);
                purse.free -= back;
                reserved = purse.reserved;
                Pending head = purse.pending.peek();
                if (purse.askedFor != null && head != null) {
                    purse.askedFor = head;
                    needed = head.nanos() - Math.max(0, purse.free);
                }
            }
        }
        toCoordinator.accept(new SpendEvent.GiveBack(reclaim.tenant(), reclaim.day(), back, reserved, needed));
    }

    /** Lets the waiting requests that fit go, in order. Call holding the lock. */
    private static void serve(TenantDay key, Purse purse, List<Runnable> outcomes) {
        while (!purse.pending.isEmpty() && purse.free >= purse.pending.peek().nanos()) {
            Pending next = purse.pending.poll();
            purse.free -= next.nanos();
            purse.reserved += next.nanos();
            Reservation reservation = new Reservation(key.tenant(), key.day(), next.nanos());
            outcomes.add(() -> next.waiter().reserved(reservation));
        }
    }

    /** The ask for the first waiting request, when one waits and no ask is in flight. Call holding the lock. */
    private static SpendEvent askIfShort(TenantDay key, Purse purse) {
        Pending head = purse.pending.peek();
        if (head == null || purse.askedFor != null) {
            return null;
        }
        purse.askedFor = head;
        return new SpendEvent.Ask(key.tenant(), key.day(), Math.max(1, head.nanos() - Math.max(0, purse.free)));
    }

    private void finish(List<Runnable> outcomes, SpendEvent ask) {
        outcomes.forEach(Runnable::run);
        if (ask != null) {
            toCoordinator.accept(ask);
        }
    }

    /** What this instance spent of the tenant's current day. */
    public synchronized long spentToday(String tenant) {
        Purse purse = purses.get(new TenantDay(tenant, UtcDay.of(clock.getAsLong())));
        return purse == null ? 0 : purse.spent;
    }

    /** What it holds of each day from yesterday on, its reservations counted as held: they ask again after a restore. */
    public synchronized List<Holding> snapshot() {
        long yesterday = UtcDay.of(clock.getAsLong()) - 1;
        List<Holding> holdings = new ArrayList<>();
        purses.forEach((key, purse) -> {
            if (key.day() >= yesterday) {
                holdings.add(new Holding(key.tenant(), key.day(), purse.free + purse.reserved, purse.spent));
            }
        });
        return holdings;
    }

    /** Takes over holdings of a checkpoint (those of other instances too after a rescale). */
    public synchronized void restore(Iterable<Holding> holdings) {
        for (Holding holding : holdings) {
            Purse purse = purses.computeIfAbsent(new TenantDay(holding.tenant(), holding.day()), day -> new Purse());
            purse.free += holding.heldNanos();
            purse.spent += holding.spentNanos();
        }
    }
}
