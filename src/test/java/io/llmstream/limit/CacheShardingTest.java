package io.llmstream.limit;

import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A model with a cache shards by what a request sends, so that repeats meet the cache that knows them. */
class CacheShardingTest {
    private static final LlmStreamConfig CONFIG = TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
            "models: {cached: {endpoint: mock, rpm: 6000, cache: {ttl: 10m}}, plain: {endpoint: mock, rpm: 6000}}",
            "job: {parallelism: 4}");

    private static LlmRequest request(String id, String model, String text) {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        return new LlmRequest(id, model, 0, body, null, 1, 1, "{}", 2, 0, null);
    }

    @Test
    void identicalRequestsOfACachedModelGoToOneShardWhateverTheirIds() {
        ShardKeys keys = ShardKeys.of(CONFIG);
        Map<Integer, Integer> perShard = new HashMap<>();
        for (int text = 0; text < 4_000; text++) {
            Set<String> shardKeys = new HashSet<>();
            for (int copy = 0; copy < 5; copy++) {
                LlmRequest request = request("id-" + text + "-" + copy, "cached", "question " + text);
                shardKeys.add(keys.getKey(ParsedInput.valid(request)));
                perShard.merge(keys.shardOf(request), 1, Integer::sum);
            }
            assertThat(shardKeys).as("copies of question %d", text).hasSize(1);
        }
        assertThat(perShard).as("distinct requests still spread").hasSize(4);
        assertThat(perShard.values()).allSatisfy(count -> assertThat(count).isBetween(4_000, 6_000));
    }

    @Test
    void aModelWithoutACacheKeepsShardingById() {
        ShardKeys keys = ShardKeys.of(CONFIG);
        Set<Integer> shardsOfOneText = new HashSet<>();
        for (int copy = 0; copy < 100; copy++) {
            LlmRequest request = request("id-" + copy, "plain", "the same question");
            shardsOfOneText.add(keys.shardOf(request));
            assertThat(keys.shardOf(request)).isEqualTo(keys.shardOf(request("id-" + copy, "plain", "another")));
        }
        assertThat(shardsOfOneText).as("by id, copies spread").hasSize(4);
    }
}
