package io.llmstream.limit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * The requests waiting for one model's budget, shared among tenants by weighted fair queuing on the tokens
 * charged (start-time fair queuing): each tenant's next request starts at the later of the virtual time and the
 * end of the tenant's last one, a request takes {@code tokens / weight} of virtual time, and the request with the
 * earliest start goes first. While several tenants wait, each gets the model's budget in proportion to its
 * weight, whatever its prompts' length; a tenant alone gets all of it; a tenant that waited not at all gets no
 * credit for the time it did not use. Within a tenant, the highest effective priority goes first
 * ({@link Ticket}), then arrival. A tenant with caps on the model ({@link TenantCap}) goes only when they allow,
 * and the others go meanwhile. Not thread-safe: its {@link ModelDispatcher} guards it.
 */
final class TenantQueue {
    /** The highest score first, then arrival; written out, as it runs a dozen times per request let out. */
    private static final Comparator<Ticket> BY_PRIORITY = (a, b) -> a.score != b.score
            ? Long.compare(b.score, a.score) : Long.compare(a.sequence, b.sequence);

    private final Map<String, Tenant> tenants = new LinkedHashMap<>();
    /** The start of the request let out last. */
    private double virtualTime;
    private int size;
    private final int shards;
    private final long burstMicros;
    private boolean capped;

    private static final class Tenant {
        final PriorityQueue<Ticket> waiting = new PriorityQueue<>(BY_PRIORITY);
        /** The virtual time at which the tenant's last request let out ends. */
        double lastFinish;
        /** Its caps on the model in this shard; null when it has none. */
        TenantCap cap;
    }

    /** A queue whose tenants have no caps. */
    TenantQueue() {
        this(1, 0);
    }

    /**
     * @param shards how many shards share the model's (and so the tenants') limits
     * @param burstMicros the model's burst, which the tenants' caps allow too
     */
    TenantQueue(int shards, long burstMicros) {
        this.shards = shards;
        this.burstMicros = burstMicros;
    }

    void add(Ticket ticket) {
        Tenant tenant = tenants.computeIfAbsent(ticket.tenant, name -> new Tenant());
        if (tenant.cap == null && (ticket.capRpm > 0 || ticket.capTpm > 0)) {
            tenant.cap = new TenantCap(ticket.capRpm, ticket.capTpm, shards, burstMicros);
            capped = true;
        }
        tenant.waiting.add(ticket);
        size++;
    }

    /** The request to go next at {@code nowMicros}, of a tenant its caps allow; null when none may go. */
    Ticket peek(long nowMicros) {
        return capped ? peek(ticket -> capAllows(ticket, nowMicros)) : peek();
    }

    /** When the first tenant held back by its caps may go again; {@code Long.MAX_VALUE} when none waits. */
    long earliestCapped(long nowMicros) {
        long earliest = Long.MAX_VALUE;
        for (Tenant tenant : tenants.values()) {
            Ticket head = tenant.waiting.peek();
            if (head != null) {
                earliest = Math.min(earliest, tenant.cap == null ? nowMicros : tenant.cap.earliest(nowMicros,
                        head.tokens));
            }
        }
        return earliest;
    }

    /** Lets {@code ticket} out at {@code nowMicros}, charging its tenant's caps: it was the one {@link #peek} returned. */
    void letOut(Ticket ticket, long nowMicros) {
        letOut(ticket);
        TenantCap cap = tenants.get(ticket.tenant).cap;
        if (cap != null) {
            cap.charge(nowMicros, ticket.tokens);
        }
    }

    private boolean capAllows(Ticket ticket, long nowMicros) {
        TenantCap cap = tenants.get(ticket.tenant).cap;
        return cap == null || cap.earliest(nowMicros, ticket.tokens) <= nowMicros;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The requests of one tenant waiting here. */
    int size(String tenant) {
        Tenant waiting = tenants.get(tenant);
        return waiting == null ? 0 : waiting.waiting.size();
    }

    /** The request to go next among those at the head of their tenant that may go now; null when none. */
    Ticket peek(Predicate<Ticket> mayGo) {
        Tenant next = next(mayGo);
        return next == null ? null : next.waiting.peek();
    }

    /** The request to go next of any tenant; null when none waits. */
    Ticket peek() {
        return peek(ticket -> true);
    }

    /** Lets {@code ticket} out: it was the one {@link #peek} returned. */
    void letOut(Ticket ticket) {
        Tenant tenant = tenants.get(ticket.tenant);
        if (tenant == null || tenant.waiting.peek() != ticket) {
            throw new IllegalStateException("the ticket let out is not the head of its tenant");
        }
        tenant.waiting.poll();
        size--;
        double start = Math.max(virtualTime, tenant.lastFinish);
        virtualTime = start;
        tenant.lastFinish = start + Math.max(1, ticket.tokens) / ticket.weight;
    }

    /** Takes a waiting request out without letting it go (withdrawn, refused). */
    boolean remove(Ticket ticket) {
        Tenant tenant = tenants.get(ticket.tenant);
        if (tenant != null && tenant.waiting.remove(ticket)) {
            size--;
            return true;
        }
        return false;
    }

    /** Every waiting request, and none waits afterwards. */
    List<Ticket> drain() {
        List<Ticket> all = new ArrayList<>(size);
        for (Tenant tenant : tenants.values()) {
            all.addAll(tenant.waiting);
            tenant.waiting.clear();
        }
        size = 0;
        return all;
    }

    /** The waiting tenant, among those that may go, whose next request starts first. */
    private Tenant next(Predicate<Ticket> mayGo) {
        if (tenants.size() == 1) {
            // No tenants configured, or one alone: no shares to weigh.
            Tenant only = tenants.values().iterator().next();
            Ticket head = only.waiting.peek();
            return head != null && mayGo.test(head) ? only : null;
        }
        Tenant best = null;
        double bestStart = Double.MAX_VALUE;
        long bestSequence = Long.MAX_VALUE;
        for (Map.Entry<String, Tenant> entry : tenants.entrySet()) {
            Tenant tenant = entry.getValue();
            Ticket head = tenant.waiting.peek();
            if (head == null || !mayGo.test(head)) {
                continue;
            }
            double start = Math.max(virtualTime, tenant.lastFinish);
            if (start < bestStart || (start == bestStart && head.sequence < bestSequence)) {
                best = tenant;
                bestStart = start;
                bestSequence = head.sequence;
            }
        }
        return best;
    }
}
