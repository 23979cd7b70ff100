package io.llmstream.limit;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The budgets of a model's API keys in one shard ({@link KeyBudget} each): which key takes a request
 * soonest, their health for metrics, their state for checkpoints. An endpoint without keys has one keyless
 * budget. Not thread-safe: its {@link ModelDispatcher} guards it.
 */
final class ModelKeys {
    private final List<KeyBudget> keys = new ArrayList<>();
    private int lastKeyIndex = -1;
    private long soonestAtMicros = Long.MAX_VALUE;
    /** Whether the provider has stated its limits in headers: a 429 then says less about the pace. */
    private boolean providerReportsLimits;

    ModelKeys(ModelSettings model, EndpointSettings endpoint, int shards, long nowMicros) {
        List<ApiKey> apiKeys = endpoint.apiKeys().isEmpty()
                ? List.of(new ApiKey(null, endpoint.name() + "#none", 1.0))
                : endpoint.apiKeys();
        for (int i = 0; i < apiKeys.size(); i++) {
            keys.add(new KeyBudget(i, apiKeys.get(i), model, endpoint, shards));
        }
        // No burst at the start either: another run of the job (or another client of the key) may just have
        // emptied the provider's bucket, and the first connections' setup bunches the first requests' arrival.
        for (KeyBudget key : keys) {
            key.startWithoutBurst(nowMicros);
        }
    }

    /**
     * A response came on a key: adopt what it says about the provider's limits. Providers state their budget as
     * of the request's arrival, not as of the answer (after the model's latency): the later of the send time and
     * the headers' arrival less the provider's processing time, so that a request that took long to reach the
     * provider (a new connection, a slow network) is dated late rather than early. A streamed answer's headers
     * come before its tokens, so they are dated by their own arrival, not by the end of the stream.
     */
    void observe(int keyIndex, ProviderLimits reported, long sentAtMicros, long headersAtMicros) {
        if (reported.isEmpty()) {
            return;
        }
        providerReportsLimits = true;
        long asOfMicros = sentAtMicros;
        if (reported.processing() != null) {
            asOfMicros = Math.max(asOfMicros, headersAtMicros - reported.processing().toNanos() / 1000);
        }
        keys.get(keyIndex).observe(reported, asOfMicros);
    }

    /** A 429 on a key: hold it for the wait the provider asked for and pace it more slowly. */
    void rateLimited(int keyIndex, long waitMicros, long nowMicros) {
        keys.get(keyIndex).rateLimited(waitMicros, providerReportsLimits, nowMicros);
    }

    KeyBudget get(int keyIndex) {
        return keys.get(keyIndex);
    }

    /**
     * The key that can take a request of {@code tokens} soonest; among equals the least used, then the next in
     * turn after the last one chosen. Null when every key was refused. When it can take it: {@link #soonestAt}.
     */
    KeyBudget soonest(long nowMicros, long tokens) {
        KeyBudget best = null;
        long bestAt = Long.MAX_VALUE;
        for (int i = 1; i <= keys.size(); i++) {
            KeyBudget key = keys.get(Math.floorMod(lastKeyIndex + i, keys.size()));
            long at = key.earliest(nowMicros, tokens);
            if (at < bestAt || (at == bestAt && at != Long.MAX_VALUE && key.requestTat() < best.requestTat())) {
                best = key;
                bestAt = at;
            }
        }
        soonestAtMicros = bestAt;
        return best;
    }

    /** When the key {@link #soonest} found last can take the request. */
    long soonestAt() {
        return soonestAtMicros;
    }

    /** The key chosen for a request: the next choice among equals starts after it. */
    void chosen(KeyBudget key) {
        lastKeyIndex = key.index;
    }

    /** Keys the provider has not refused. */
    int usable() {
        return (int) keys.stream().filter(key -> !key.isRemoved()).count();
    }

    /** A snapshot of the keys' health and pace, by key id. */
    Map<String, KeyStatus> status(long nowMicros) {
        Map<String, KeyStatus> status = new HashMap<>();
        for (KeyBudget key : keys) {
            status.put(key.id, new KeyStatus(key.isDegraded(), key.isRemoved(),
                    key.currentScale(nowMicros)));
        }
        return status;
    }

    /** When the soonest key could take a request of {@code tokens}; {@link Long#MAX_VALUE} if no key is left. */
    long earliest(long nowMicros, long tokens) {
        long earliest = Long.MAX_VALUE;
        for (KeyBudget key : keys) {
            earliest = Math.min(earliest, key.earliest(nowMicros, tokens));
        }
        return earliest;
    }

    BudgetState snapshot() {
        String[] ids = new String[keys.size()];
        long[] tats = new long[keys.size() * KeyBudget.LIMITS];
        for (KeyBudget key : keys) {
            ids[key.index] = key.id;
            key.copyTatsTo(tats, key.index * KeyBudget.LIMITS);
        }
        return new BudgetState(ids, tats);
    }

    /** Takes over restored state key by key id; see {@link KeyBudget#restoreTats}. */
    void restore(BudgetState state, long nowMicros) {
        for (int i = 0; i < state.keyIds().length; i++) {
            for (KeyBudget key : keys) {
                if (key.id.equals(state.keyIds()[i])) {
                    key.restoreTats(state.tats(), i * KeyBudget.LIMITS, nowMicros);
                }
            }
        }
    }
}
