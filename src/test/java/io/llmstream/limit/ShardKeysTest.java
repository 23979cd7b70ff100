package io.llmstream.limit;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ShardKeysTest {
    private static LlmStreamConfig config(int parallelism, String models) {
        return TestConfigs.withEndpoint("http://127.0.0.1:9/v1", "models: " + models,
                "job: {parallelism: " + parallelism + "}");
    }

    private static LlmRequest request(String id, String model) {
        return new LlmRequest(id, model, 0, "{}", null, 1, 1, "{}", 2, 0, null);
    }

    @ParameterizedTest(name = "parallelism {0}")
    @CsvSource({"1", "2", "3", "4", "7", "16"})
    void spreadsAHotModelsShardsOverEveryInstance(int parallelism) {
        ShardKeys keys = ShardKeys.of(config(parallelism, "{hot: {endpoint: mock, rpm: 6000}}"));

        assertThat(keys.shardsOf("hot")).as("shards follow job.parallelism").isEqualTo(parallelism);
        Set<Integer> instances = new HashSet<>();
        for (int shard = 0; shard < parallelism; shard++) {
            instances.add(ShardKeys.owner(keys.keyOf("hot", shard), 128, parallelism));
        }
        assertThat(instances).hasSize(parallelism);
    }

    @ParameterizedTest(name = "{0} shards on {1} instances")
    @CsvSource({"2, 3", "3, 2", "5, 4", "8, 3", "1, 4"})
    void everyShardHasExactlyOneOwnerWhateverTheParallelism(int shards, int parallelism) {
        LlmStreamConfig config = config(parallelism, "{m: {endpoint: mock, rpm: 600, shards: " + shards + "}}");
        ShardKeys keys = ShardKeys.of(config);
        Map<Integer, Integer> owners = new HashMap<>();
        for (int instance = 0; instance < parallelism; instance++) {
            try (BudgetShards budgets = new BudgetShards(config, keys, instance, parallelism, 128)) {
                for (int shard = 0; shard < shards; shard++) {
                    if (budgets.owns("m", shard)) {
                        assertThat(owners.put(shard, instance)).as("shard " + shard + " owned twice").isNull();
                        assertThat(budgets.dispatcher("m", shard)).isNotNull();
                    }
                }
            }
        }
        assertThat(owners).hasSize(shards);
    }

    @Test
    void recordsOfOneIdGoToOneShardAndIdsSpreadEvenly() {
        ShardKeys keys = ShardKeys.of(config(4, "{m: {endpoint: mock, rpm: 6000}}"));
        Map<Integer, Integer> perShard = new HashMap<>();
        for (int i = 0; i < 40_000; i++) {
            LlmRequest request = request("id-" + i, "m");
            assertThat(keys.shardOf(request)).isEqualTo(keys.shardOf(request("id-" + i, "m")));
            perShard.merge(keys.shardOf(request), 1, Integer::sum);
        }
        assertThat(perShard).hasSize(4);
        assertThat(perShard.values()).allSatisfy(count -> assertThat(count).isBetween(9_000, 11_000));
    }

    @Test
    void modelsLinkedByFallbacksShareTheirGroupsShardsAndModelsWithoutLimitsSpreadOverAll() {
        ShardKeys keys = ShardKeys.of(config(3, "{a: {endpoint: mock, rpm: 600, shards: 2, fallbacks: [b]}, "
                + "b: {endpoint: mock, rpm: 300, shards: 5}, free: {endpoint: mock}}"));

        assertThat(keys.groupOf("b")).isEqualTo("a");
        assertThat(keys.shardsOf("a")).as("the largest of the group").isEqualTo(5);
        assertThat(keys.getKey(ParsedInput.valid(request("x", "b")))).isEqualTo(keys.getKey(ParsedInput.valid(request("x", "a"))));
        assertThat(keys.isLimited("free")).isFalse();
        assertThat(keys.shardsOf("free")).isEqualTo(3);
    }
}
