package io.llmstream.spend;

import org.apache.flink.runtime.operators.coordination.OperatorEvent;

/**
 * What the call stage's instances and the {@link SpendCoordinator} tell each other about the tenants' daily
 * spend. Amounts are in nano-dollars (10⁻⁹ US dollars); a day is a UTC day ({@link UtcDay}).
 */
public sealed interface SpendEvent extends OperatorEvent {

    /** An instance needs at least {@code nanos} more of the tenant's day to let its next request go. */
    record Ask(String tenant, long day, long nanos) implements SpendEvent {}

    /**
     * The coordinator gives an instance {@code nanos} of the tenant's day, or refuses its ask: its first waiting
     * request can never fit the day, as what is left is less than it may cost even if every request in flight
     * ends up costing nothing.
     */
    record Grant(String tenant, long day, long nanos, boolean refused) implements SpendEvent {

        static Grant of(String tenant, long day, long nanos) {
            return new Grant(tenant, day, nanos, false);
        }

        static Grant refusal(String tenant, long day) {
            return new Grant(tenant, day, 0, true);
        }
    }

    /** The coordinator asks an instance for what it holds of the tenant's day and does not need. */
    record Reclaim(String tenant, long day) implements SpendEvent {}

    /**
     * An instance gives {@code nanos} of the tenant's day back, answering a reclaim, and tells what it holds
     * reserved for requests in flight (money that comes back when they cost less than they may) and, when it has
     * an ask in flight, what its first waiting request needs now that it holds nothing free (0 if none waits).
     */
    record GiveBack(String tenant, long day, long nanos, long reservedNanos, long neededNanos)
            implements SpendEvent {}
}
