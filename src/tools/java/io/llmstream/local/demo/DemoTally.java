package io.llmstream.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What the demo has read back from the output, dead-letter and metrics topics so far. */
final class DemoTally {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String outputTopic;
    private final String deadLetterTopic;
    private final String usageTopic;
    /** Per tenant: completions, dead letters, spend_limit dead letters, and the ledger's cost in micro-dollars. */
    private final Map<String, long[]> byTenant = new TreeMap<>();
    private final Set<String> completedIds = new HashSet<>();
    private final Set<String> deadLetterIds = new HashSet<>();
    private final List<Long> latencies = new ArrayList<>();
    private final Map<String, Long> errorsByKind = new TreeMap<>();
    private final Map<String, List<JsonNode>> windowsByModel = new TreeMap<>();
    private long promptTokens;
    private long completionTokens;
    private long duplicates;
    private long retriedAttempts;
    private long cached;

    DemoTally(String outputTopic, String deadLetterTopic, String usageTopic) {
        this.outputTopic = outputTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.usageTopic = usageTopic;
    }

    void add(ConsumerRecord<String, String> record) {
        JsonNode value = parse(record.value());
        if (record.topic().equals(usageTopic)) {
            tenant(value)[3] += Math.round(value.path("cost_usd").asDouble() * 1e6);
            return;
        }
        if (record.topic().equals(outputTopic)) {
            if (!completedIds.add(record.key())) {
                duplicates++;
                return;
            }
            tenant(value)[0]++;
            if (value.path("cached").asBoolean(false)) {
                // Answered from the cache: no call, nothing spent.
                cached++;
                return;
            }
            latencies.add(value.path("latency_ms").asLong());
            promptTokens += value.path("usage").path("prompt_tokens").asLong();
            completionTokens += value.path("usage").path("completion_tokens").asLong();
            retriedAttempts += Math.max(0, value.path("attempts").asInt(1) - 1);
        } else if (record.topic().equals(deadLetterTopic)) {
            if (!deadLetterIds.add(record.key())) {
                duplicates++;
                return;
            }
            String kind = value.path("error").path("kind").asText("unknown");
            errorsByKind.merge(kind, 1L, Long::sum);
            if (value.has("tenant")) {
                tenant(value)[1]++;
                tenant(value)[2] += kind.equals("spend_limit") ? 1 : 0;
            }
        } else {
            windowsByModel.computeIfAbsent(value.path("model").asText(), model -> new ArrayList<>()).add(value);
        }
    }

    private long[] tenant(JsonNode value) {
        return byTenant.computeIfAbsent(value.path("tenant").asText("default"), name -> new long[4]);
    }

    /** Per tenant: completions, dead letters, spend_limit dead letters, the ledger's cost in micro-dollars. */
    Map<String, long[]> byTenant() {
        return byTenant;
    }

    long accounted() {
        Set<String> all = new HashSet<>(completedIds);
        all.addAll(deadLetterIds);
        return all.size();
    }

    long completions() {
        return completedIds.size();
    }

    long deadLetters() {
        return deadLetterIds.size();
    }

    long duplicates() {
        return duplicates;
    }

    /** Completions answered from the cache, without a call. */
    long cached() {
        return cached;
    }

    long retries() {
        return retriedAttempts;
    }

    long promptTokens() {
        return promptTokens;
    }

    long completionTokens() {
        return completionTokens;
    }

    Map<String, Long> errorsByKind() {
        return errorsByKind;
    }

    Map<String, List<JsonNode>> windowsByModel() {
        return windowsByModel;
    }

    /** The exact latency percentile over all completions, in ms. */
    long latencyPercentile(double quantile) {
        if (latencies.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(quantile * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /**
     * A model's typical share of its limit while it was busy: the median of its windows' utilization,
     * leaving out the first and last window, which are only partly busy. -1 if unknown.
     */
    double steadyUtilization(String model, String field) {
        List<JsonNode> windows = windowsByModel.getOrDefault(model, List.of());
        List<Double> values = new ArrayList<>();
        for (int i = 1; i < windows.size() - 1; i++) {
            JsonNode value = windows.get(i).path("utilization").path(field);
            if (value.isNumber()) {
                values.add(value.asDouble());
            }
        }
        if (values.isEmpty()) {
            return -1;
        }
        Collections.sort(values);
        return values.get(values.size() / 2);
    }

    long windowSum(String model, String field) {
        long sum = 0;
        for (JsonNode window : windowsByModel.getOrDefault(model, List.of())) {
            sum += window.path(field).asLong();
        }
        return sum;
    }

    private static JsonNode parse(String value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException("the job wrote a record that is not JSON: " + value, e);
        }
    }
}
