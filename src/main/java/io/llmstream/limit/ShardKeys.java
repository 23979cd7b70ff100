package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each request's budget lives: the key the stream is partitioned by in front of the call stage.
 *
 * <p>Models linked by fallbacks form a group ({@link ModelGroups}), so that a fallback is paid from its
 * own budget in the same place. A group is split into shards; shard {@code i} holds an exact share
 * (1 / shards) of every limit of each of the group's models, and a request goes to shard
 * {@code hash(id) mod shards}, so the records of one id stay in one shard and in order. The key of a
 * shard is {@code <group>/<i>/<salt>}, the salt chosen so that Flink's key groups send shard {@code i} to
 * parallel instance {@code i mod parallelism}: the shards of a hot model land on different instances. A
 * group without limits needs no shares; it gets as many shards as the job has instances, so its traffic
 * spreads over all of them.
 *
 * <p>Which instance holds which shard is not assumed anywhere else: the call stage works out the shards
 * it owns from the same assignment at run time ({@link #owner}), so the budgets stay right even when Flink
 * places the keys differently (another parallelism after a rescale).
 *
 * <p>A model with a {@code cache} shards by what the request sends instead of its id
 * ({@code hash(body) mod shards}), so that identical requests meet in the one instance whose cache can
 * answer the repeats; records sharing an id but asking different things may then be in different shards,
 * and {@code call.order: per-id} orders only those that land together.
 */
public final class ShardKeys implements KeySelector<ParsedInput, String> {
    private static final long serialVersionUID = 1L;
    /** Salts tried before settling for a key that shares an instance with another shard. */
    private static final int MAX_SALT = 10_000;

    private final ModelGroups groups;
    private final Map<String, String[]> keysOfGroup = new HashMap<>();
    private final Map<String, Boolean> limitedGroups = new HashMap<>();
    /** The models whose requests shard by body, so that repeats meet their cache. */
    private final Set<String> shardedByBody = new HashSet<>();
    /** Keys for inputs that are not requests, one per instance: they only pass through the call stage. */
    private String[] invalidKeys;

    private ShardKeys(ModelGroups groups) {
        this.groups = groups;
    }

    /** The shard keys of the configuration, for its parallelism and maximum parallelism. */
    public static ShardKeys of(LlmStreamConfig config) {
        ShardKeys keys = new ShardKeys(ModelGroups.of(config));
        int parallelism = config.job().parallelism();
        int maxParallelism = config.job().maxParallelism();
        for (String group : keys.groups.groups()) {
            boolean limited = false;
            int shards = 1;
            for (String model : keys.groups.modelsOf(group)) {
                ModelSettings settings = config.model(model);
                if (settings.isLimited()) {
                    limited = true;
                    shards = Math.max(shards, config.shardsOf(model));
                }
            }
            if (!limited) {
                shards = parallelism;
            }
            String[] shardKeys = new String[shards];
            for (int shard = 0; shard < shards; shard++) {
                shardKeys[shard] = spreadKey(group, shard, parallelism, maxParallelism);
            }
            keys.keysOfGroup.put(group, shardKeys);
            keys.limitedGroups.put(group, limited);
        }
        keys.invalidKeys = new String[parallelism];
        for (int instance = 0; instance < parallelism; instance++) {
            keys.invalidKeys[instance] = spreadKey("invalid-input", instance, parallelism, maxParallelism);
        }
        for (ModelSettings model : config.models().values()) {
            if (model.cache().enabled()) {
                keys.shardedByBody.add(model.name());
            }
        }
        return keys;
    }

    /** The first salted key of the shard that Flink sends to instance {@code shard mod parallelism}. */
    private static String spreadKey(String group, int shard, int parallelism, int maxParallelism) {
        int target = shard % parallelism;
        for (int salt = 0; salt < MAX_SALT; salt++) {
            String key = group + "/" + shard + "/" + salt;
            if (owner(key, maxParallelism, parallelism) == target) {
                return key;
            }
        }
        return group + "/" + shard + "/0";
    }

    /** The parallel instance that Flink's key groups send a key to. */
    public static int owner(String key, int maxParallelism, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism);
    }

    @Override
    public String getKey(ParsedInput input) {
        LlmRequest request = input.request();
        if (request == null) {
            return invalidKeys[Math.floorMod(input.deadLetter().id().hashCode(), invalidKeys.length)];
        }
        String group = groups.groupOf(request.model());
        return keysOfGroup.get(group)[shardOf(group, request)];
    }

    /** The shard a request goes to within its model's group. */
    public int shardOf(LlmRequest request) {
        return shardOf(groups.groupOf(request.model()), request);
    }

    private int shardOf(String group, LlmRequest request) {
        // A String keeps its hash once computed, and the body is what the cache's identity hashes.
        int hash = shardedByBody.contains(request.model()) ? request.body().hashCode() : request.id().hashCode();
        return Math.floorMod(hash, keysOfGroup.get(group).length);
    }

    /** The key of one shard of a group. */
    public String keyOf(String group, int shard) {
        return keysOfGroup.get(group)[shard];
    }

    /** How many shards a group has. */
    public int shardsOf(String group) {
        return keysOfGroup.get(group).length;
    }

    /** Whether any model of the group has a limit, so that its shards hold budgets to keep. */
    public boolean isLimited(String group) {
        return limitedGroups.get(group);
    }

    /** The group of a configured model. */
    public String groupOf(String model) {
        return groups.groupOf(model);
    }

    /** The models of a group, in configuration order. */
    public List<String> modelsOf(String group) {
        return groups.modelsOf(group);
    }

    /** Every group, in configuration order. */
    public Iterable<String> groups() {
        return groups.groups();
    }
}
