package io.llmstream.local.bench;

import io.llmstream.local.mock.MockOptions;

import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One benchmark scenario: the mock's real limits, the job's configuration, the prompts, and what the
 * run must show.
 *
 * @param keys the API keys the job uses; each is also the mock's key
 * @param realLimits the limits the mock enforces per key: requests and tokens per minute
 * @param prompts how many prompts to produce; more than the run can complete keeps it saturated
 * @param prompt the JSON value of prompt number i
 * @param heapSamples whether to sample the heap (the backlog scenario)
 * @param jobYaml the job section's settings, e.g. its parallelism
 */
record BenchScenario(
        String name,
        String goal,
        Duration duration,
        String model,
        List<String> keys,
        List<long[]> realLimits,
        String modelYaml,
        String keysYaml,
        int prompts,
        IntFunction<String> prompt,
        boolean heapSamples,
        String jobYaml) {

    /** A scenario on one parallel instance with the default checkpoint interval. */
    BenchScenario(String name, String goal, Duration duration, String model, List<String> keys, List<long[]> realLimits,
            String modelYaml, String keysYaml, int prompts, IntFunction<String> prompt, boolean heapSamples) {
        this(name, goal, duration, model, keys, realLimits, modelYaml, keysYaml, prompts, prompt, heapSamples,
                "parallelism: 1");
    }

    /**
     * The mock: the scenario's real limits per key, a little latency, no faults; a scenario whose name
     * ends in {@code -silent} gets no {@code x-ratelimit-*} headers.
     */
    MockOptions mockOptions() {
        MockOptions.Builder builder = MockOptions.builder().port(0).seed(11).latencyMs(80).latencySigma(0.3)
                .apiKeys(keys).limitHeaders(!name.endsWith("-silent"));
        for (int i = 0; i < keys.size(); i++) {
            builder.limit(keys.get(i), model, realLimits.get(i)[0], realLimits.get(i)[1]);
        }
        return builder.build();
    }
}
