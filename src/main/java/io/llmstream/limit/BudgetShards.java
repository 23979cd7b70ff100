package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * The budgets one parallel instance of the call stage owns and spends: a {@link ModelDispatcher} for each
 * model of each shard whose key Flink's key groups send to this instance ({@link ShardKeys#owner}). It is
 * the instance's own state, not shared with any other operator: snapshotted at the barrier as
 * {@link ShardBudget}s and restored, before any request is sent, from the budgets of the shards it owns
 * now, whichever instance held them before. One dispatch thread per instance wakes the dispatchers.
 */
public final class BudgetShards implements AutoCloseable {
    private final LlmStreamConfig config;
    private final ShardKeys keys;
    private final int instance;
    private final int parallelism;
    private final int maxParallelism;
    private final ScheduledExecutorService executor;
    private final DispatchTimer timer;
    /** By model, by shard; only the shards this instance owns. */
    private final Map<String, Map<Integer, ModelDispatcher>> dispatchers = new HashMap<>();

    /**
     * @param instance this instance's index among {@code parallelism}
     * @param maxParallelism the job's number of key groups
     */
    public BudgetShards(LlmStreamConfig config, ShardKeys keys, int instance, int parallelism, int maxParallelism) {
        this.config = config;
        this.keys = keys;
        this.instance = instance;
        this.parallelism = parallelism;
        this.maxParallelism = maxParallelism;
        this.executor = DispatchTimer.newExecutor();
        this.timer = DispatchTimer.system(executor);
        for (String group : keys.groups()) {
            for (int shard = 0; shard < keys.shardsOf(group); shard++) {
                if (owns(group, shard)) {
                    for (String model : keys.modelsOf(group)) {
                        dispatchers.computeIfAbsent(model, name -> new HashMap<>()).put(shard, new ModelDispatcher(
                                config.model(model), config.endpointOf(model), config.call().breaker(), timer,
                                keys.shardsOf(group), config.call().capacity()));
                    }
                }
            }
        }
    }

    /** Whether this instance holds the budget of a group's shard. */
    public boolean owns(String group, int shard) {
        return ShardKeys.owner(keys.keyOf(group, shard), maxParallelism, parallelism) == instance;
    }

    /**
     * The dispatcher of a model's shard.
     *
     * @throws IllegalStateException if this instance does not own the shard: the stream did not reach the
     *     call stage partitioned by {@link ShardKeys}
     */
    public ModelDispatcher dispatcher(String model, int shard) {
        Map<Integer, ModelDispatcher> shards = dispatchers.get(model);
        ModelDispatcher dispatcher = shards == null ? null : shards.get(shard);
        if (dispatcher == null) {
            throw new IllegalStateException("a request for shard " + shard + " of model " + model + " reached "
                    + "call-stage instance " + instance + " of " + parallelism + ", which does not hold that shard's "
                    + "budget: the call stage must follow the shard router one to one (forward, same parallelism)");
        }
        return dispatcher;
    }

    /** The dispatchers of a model's shards held here; empty if none. */
    public Collection<ModelDispatcher> dispatchersOf(String model) {
        Map<Integer, ModelDispatcher> shards = dispatchers.get(model);
        return shards == null ? List.of() : shards.values();
    }

    /** How many of a model's shards this instance holds, and of how many. */
    public double shareOf(String model) {
        String group = keys.groupOf(model);
        return (double) dispatchersOf(model).size() / keys.shardsOf(group);
    }

    /** The budgets to checkpoint: those of limited models that are not full again. */
    public List<ShardBudget> snapshot() {
        List<ShardBudget> budgets = new ArrayList<>();
        long now = timer.nowMicros();
        dispatchers.forEach((model, shards) -> shards.forEach((shard, dispatcher) -> {
            if (dispatcher.isLimited()) {
                BudgetState state = dispatcher.snapshot();
                if (state.fullAtMicros() > now) {
                    budgets.add(new ShardBudget(model, shard, keys.shardsOf(keys.groupOf(model)), state.keyIds(),
                            state.tats()));
                }
            }
        }));
        return budgets;
    }

    /**
     * Takes over the restored budgets of the shards this instance owns now. When the model's group was split
     * into another number of shards (its {@code shards}, or the parallelism it follows, changed), the debt
     * the old shards carried — how far each budget was ahead of now — is shared out evenly: every new shard
     * owes the mean of the old shards' debts at its own, proportionally smaller rate, so the model as a whole
     * owes what it owed. Budgets of models no longer configured are left.
     */
    public void restore(Iterable<ShardBudget> budgets, Consumer<String> ignored) {
        Map<String, List<ShardBudget>> byModel = new HashMap<>();
        for (ShardBudget budget : budgets) {
            if (!config.models().containsKey(budget.model())) {
                ignored.accept("model " + budget.model() + " is no longer configured");
                continue;
            }
            byModel.computeIfAbsent(budget.model(), model -> new ArrayList<>()).add(budget);
        }
        long now = timer.nowMicros();
        byModel.forEach((model, restored) -> {
            Map<Integer, ModelDispatcher> shards = dispatchers.getOrDefault(model, Map.of());
            int oldShards = restored.get(0).shards();
            if (oldShards == keys.shardsOf(keys.groupOf(model))) {
                for (ShardBudget budget : restored) {
                    ModelDispatcher dispatcher = shards.get(budget.shard());
                    if (dispatcher != null) {
                        dispatcher.restore(new BudgetState(budget.keyIds(), budget.tats()));
                    }
                }
            } else {
                BudgetState shared = meanDebt(restored, oldShards, now);
                shards.values().forEach(dispatcher -> dispatcher.restore(shared));
            }
        });
    }

    /** Per key and limit, the mean over {@code oldShards} shards of how far their budgets were ahead of now. */
    private static BudgetState meanDebt(List<ShardBudget> restored, int oldShards, long now) {
        Map<String, long[]> debts = new java.util.LinkedHashMap<>();
        for (ShardBudget budget : restored) {
            for (int key = 0; key < budget.keyIds().length; key++) {
                long[] sum = debts.computeIfAbsent(budget.keyIds()[key], id -> new long[KeyBudget.LIMITS]);
                for (int limit = 0; limit < KeyBudget.LIMITS; limit++) {
                    sum[limit] += Math.max(0, budget.tats()[key * KeyBudget.LIMITS + limit] - now);
                }
            }
        }
        String[] ids = debts.keySet().toArray(new String[0]);
        long[] tats = new long[ids.length * KeyBudget.LIMITS];
        for (int key = 0; key < ids.length; key++) {
            long[] sum = debts.get(ids[key]);
            for (int limit = 0; limit < KeyBudget.LIMITS; limit++) {
                tats[key * KeyBudget.LIMITS + limit] = now + sum[limit] / oldShards;
            }
        }
        return new BudgetState(ids, tats);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
