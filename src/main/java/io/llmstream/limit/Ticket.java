package io.llmstream.limit;

/**
 * A request waiting for budget: it goes when the budget allows it and no ticket with a higher
 * effective priority waits. The effective priority grows by one level per {@code aging} waited, so
 * every ticket's turn comes; ordering by {@code priority × aging − enqueued} is the same at every
 * instant, because all tickets age at the same rate.
 */
public final class Ticket {
    /** What the ticket's owner does when its turn comes. Called outside the dispatcher's lock. */
    public interface Admission {
        /** The request may go now on the key with this index. */
        void admitted(int keyIndex, long waitedMicros);

        /** The request can never go (every key of the endpoint was refused). */
        void refused(String reason);

        /**
         * The model's circuit opened while the request waited. Returns true if the request went to a
         * fallback model instead; false keeps it waiting here.
         */
        default boolean circuitOpened() {
            return false;
        }
    }

    final long tokens;
    final long enqueuedMicros;
    final long notBeforeMicros;
    final long score;
    /** Its place among tickets of equal score, set by the dispatcher it waits in. */
    long sequence;
    final Admission admission;
    /** The tenant it is charged to, and the tenant's weight in the model's fair shares. */
    String tenant = DEFAULT_TENANT;
    double weight = 1;
    /** The tenant's caps on the model (requests and tokens per minute, whole model); 0 = not capped. */
    int capRpm;
    long capTpm;

    /** The tenant of records that name none. */
    public static final String DEFAULT_TENANT = "default";

    /**
     * @param priority the request's priority; higher goes first
     * @param levels priorities beyond ±levels count as ±levels, which bounds how long ageing takes
     * @param agingMicros the wait that raises the effective priority by one
     * @param enqueuedMicros when the request first asked for budget; a retry keeps its first time
     * @param notBeforeMicros the earliest it may go (a backoff); 0 for now
     */
    public Ticket(int priority, int levels, long agingMicros, long tokens, long enqueuedMicros, long notBeforeMicros,
            Admission admission) {
        this.tokens = tokens;
        this.enqueuedMicros = enqueuedMicros;
        this.notBeforeMicros = notBeforeMicros;
        this.score = Math.max(-levels, Math.min(levels, priority)) * agingMicros - enqueuedMicros;
        this.admission = admission;
    }

    /** This ticket, charged to {@code tenant} of {@code weight} (> 0) and capped at {@code rpm} and {@code tpm}. */
    public Ticket forTenant(String tenant, double weight, int rpm, long tpm) {
        this.capRpm = rpm;
        this.capTpm = tpm;
        return forTenant(tenant, weight);
    }

    /** This ticket, charged to {@code tenant} of {@code weight} (> 0). */
    public Ticket forTenant(String tenant, double weight) {
        if (!(weight > 0)) {
            throw new IllegalArgumentException("a tenant's weight must be > 0, was " + weight);
        }
        this.tenant = tenant;
        this.weight = weight;
        return this;
    }
}
