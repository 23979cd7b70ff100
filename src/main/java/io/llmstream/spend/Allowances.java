package io.llmstream.spend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator's account of each tenant's day: how much of the tenant's cap is out with the call stage's
 * instances (given minus given back; spent money stays out). An instance that needs more for its next request
 * asks; while the cap has room it gets at least that, in chunks that shrink as the day's money runs low. When
 * the cap has no room, a <em>round</em> asks every instance for the money it holds and does not need and for what
 * it holds reserved for requests in flight; once all have replied (or after {@link #ROUND_MILLIS}, for an
 * instance that is gone) each ask is granted if the money given back makes room; else it waits for the next
 * round (every {@link #RETRY_MILLIS}) while requests in flight could still leave room by costing less than they
 * reserved; else it is refused with a grant of 0: what is left of the day is less than the request may cost
 * even if everything in flight cost nothing. So no instance ever holds more than the cap has, and a tenant is
 * refused only within one request of its cap.
 *
 * <p>Not thread-safe: the {@link SpendCoordinator} calls it from its one thread.
 */
final class Allowances {
    /** How long a round waits for instances that do not reply. */
    static final long ROUND_MILLIS = 3_000;
    /** How often asks that wait for requests in flight try again. */
    static final long RETRY_MILLIS = 250;

    /** Where the answers go. */
    interface Sender {
        void send(int subtask, SpendEvent event);
    }

    /** An ask that a round answers. */
    private static final class PendingAsk {
        final int subtask;
        long nanos;

        PendingAsk(int subtask, long nanos) {
            this.subtask = subtask;
            this.nanos = nanos;
        }
    }

    /** A round under way for one tenant's day. */
    private static final class Round {
        final Set<Integer> awaiting = new HashSet<>();
        final List<PendingAsk> asks = new ArrayList<>();
        final long startedMillis;
        long reservedInFlight;

        Round(long startedMillis) {
            this.startedMillis = startedMillis;
        }
    }

    private final Map<String, Long> capNanos;
    private final Sender sender;
    private int subtasks;
    private final SpendAccount account;
    private final Map<TenantDay, Round> rounds = new HashMap<>();
    /** Asks waiting for the next round, and when the last round of their day ended. */
    private final Map<TenantDay, List<PendingAsk>> waiting = new HashMap<>();
    private final Map<TenantDay, Long> lastRoundEnded = new HashMap<>();

    /**
     * @param capNanos each capped tenant's spend per day
     * @param subtasks the call stage's parallelism
     */
    Allowances(Map<String, Long> capNanos, int subtasks, Sender sender) {
        this.capNanos = capNanos;
        this.subtasks = subtasks;
        this.sender = sender;
        this.account = new SpendAccount(subtasks);
    }

    void ask(int subtask, SpendEvent.Ask ask, long nowMillis) {
        TenantDay key = new TenantDay(ask.tenant(), ask.day());
        forgetDaysBefore(ask.day() - 1);
        PendingAsk pending = new PendingAsk(subtask, ask.nanos());
        Round round = rounds.get(key);
        if (round != null) {
            round.asks.add(pending);
        } else if (waiting.containsKey(key)) {
            waiting.get(key).add(pending);
        } else if (free(key) >= ask.nanos()) {
            grant(subtask, key, chunk(free(key), ask.nanos()));
        } else {
            startRound(key, new ArrayList<>(List.of(pending)), nowMillis);
        }
    }

    private void startRound(TenantDay key, List<PendingAsk> asks, long nowMillis) {
        Round round = new Round(nowMillis);
        round.asks.addAll(asks);
        rounds.put(key, round);
        for (int subtask = 0; subtask < subtasks; subtask++) {
            round.awaiting.add(subtask);
        }
        for (int subtask = 0; subtask < subtasks; subtask++) {
            sender.send(subtask, new SpendEvent.Reclaim(key.tenant(), key.day()));
        }
    }

    void givenBack(int subtask, SpendEvent.GiveBack back, long nowMillis) {
        TenantDay key = new TenantDay(back.tenant(), back.day());
        account.add(key, subtask, -back.nanos());
        Round round = rounds.get(key);
        if (round == null || !round.awaiting.remove(subtask)) {
            return;
        }
        round.reservedInFlight += back.reservedNanos();
        for (PendingAsk ask : round.asks) {
            if (ask.subtask == subtask) {
                // It gave back what it held towards its next request, which now needs all it may cost.
                ask.nanos = back.neededNanos();
                break;
            }
        }
        if (round.awaiting.isEmpty()) {
            finish(key, round, nowMillis);
        }
    }

    /** Ends rounds that waited too long for replies and starts the rounds of waiting asks. */
    void tick(long nowMillis) {
        for (Map.Entry<TenantDay, Round> entry : Map.copyOf(rounds).entrySet()) {
            if (nowMillis - entry.getValue().startedMillis >= ROUND_MILLIS) {
                finish(entry.getKey(), entry.getValue(), nowMillis);
            }
        }
        for (TenantDay key : List.copyOf(waiting.keySet())) {
            if (!rounds.containsKey(key) && nowMillis - lastRoundEnded.getOrDefault(key, 0L) >= RETRY_MILLIS) {
                startRound(key, waiting.remove(key), nowMillis);
            }
        }
    }

    /** An instance failed: it will not reply, and its asks are gone with it. */
    void subtaskGone(int subtask, long nowMillis) {
        for (List<PendingAsk> asks : waiting.values()) {
            asks.removeIf(ask -> ask.subtask == subtask);
        }
        waiting.values().removeIf(List::isEmpty);
        for (Map.Entry<TenantDay, Round> entry : Map.copyOf(rounds).entrySet()) {
            Round round = entry.getValue();
            round.asks.removeIf(ask -> ask.subtask == subtask);
            if (round.awaiting.remove(subtask) && round.awaiting.isEmpty()) {
                finish(entry.getKey(), round, nowMillis);
            }
        }
    }

    private void finish(TenantDay key, Round round, long nowMillis) {
        rounds.remove(key);
        lastRoundEnded.put(key, nowMillis);
        List<PendingAsk> later = new ArrayList<>();
        for (PendingAsk ask : round.asks) {
            long free = free(key);
            if (free >= ask.nanos) {
                long granted = chunk(free, ask.nanos);
                grant(ask.subtask, key, granted);
                // Reserved by its request from now on, or free there: it may come back for the asks after it.
                round.reservedInFlight += granted;
            } else if (free + round.reservedInFlight >= ask.nanos) {
                later.add(ask);
            } else {
                sender.send(ask.subtask, SpendEvent.Grant.refusal(key.tenant(), key.day()));
            }
        }
        if (!later.isEmpty()) {
            waiting.computeIfAbsent(key, day -> new ArrayList<>()).addAll(later);
        }
    }

    private void grant(int subtask, TenantDay key, long nanos) {
        if (nanos > 0) {
            account.add(key, subtask, nanos);
        }
        sender.send(subtask, SpendEvent.Grant.of(key.tenant(), key.day(), nanos));
    }

    /** At least what was asked, more while money is plentiful, so that most requests need no ask. */
    private long chunk(long free, long asked) {
        return Math.min(free, Math.max(asked, free / (4L * Math.max(1, subtasks))));
    }

    private long free(TenantDay key) {
        Long cap = capNanos.get(key.tenant());
        return cap == null ? 0 : cap - account.total(key);
    }

    /** What is out of a tenant's day; for tests and the log. */
    long outstanding(String tenant, long day) {
        return account.total(new TenantDay(tenant, day));
    }

    private void forgetDaysBefore(long day) {
        account.forgetDaysBefore(day);
        lastRoundEnded.keySet().removeIf(key -> key.day() < day);
    }

    byte[] snapshot() {
        return account.snapshot();
    }

    /**
     * Back to a checkpoint's account (null: none taken yet), every instance with it. Rounds and asks under way
     * are dropped: the instances restart from the same checkpoint and ask again.
     */
    void restore(byte[] state, int parallelism) {
        rounds.clear();
        waiting.clear();
        subtasks = parallelism;
        account.restore(state, parallelism);
    }

    /**
     * One instance restarts from a checkpoint on its own (null: without state): it holds what it held then, and
     * its asks are gone (its replies too: rounds waiting for it end without them).
     */
    void resetSubtask(int subtask, byte[] state, long nowMillis) {
        subtaskGone(subtask, nowMillis);
        account.resetSubtask(subtask, state);
    }

    /** Whether a round is under way or asks wait for one; for tests. */
    boolean reclaiming() {
        return !rounds.isEmpty() || !waiting.isEmpty();
    }
}
