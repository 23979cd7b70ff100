package io.llmstream.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Reads one metrics record (the format in docs/records.md). Only {@code model}, {@code window_start}
 * and {@code window_end} are required: the writer may be an older or newer job, so a missing count is
 * zero, a missing or null utilization or {@code cost_usd} is empty, and unknown fields are ignored.
 */
final class MetricsWindowJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsWindowJson() {}

    /**
     * Parses a record's value.
     *
     * @throws IllegalArgumentException naming what is wrong, if the value is not a metrics window
     */
    static MetricsWindow parse(String value) {
        JsonNode json;
        try {
            json = JSON.readTree(value == null ? "" : value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonNode model = json.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw new IllegalArgumentException("model is missing");
        }
        Instant start = instant(json, "window_start");
        Instant end = instant(json, "window_end");
        long requests = count(json.get("requests"));
        long succeeded = count(json.get("succeeded"));
        JsonNode failed = json.get("failed");
        long lengthMillis = Math.max(1, end.toEpochMilli() - start.toEpochMilli());
        JsonNode throughput = json.get("throughput_per_second");
        JsonNode latency = json.path("latency_ms");
        JsonNode tokens = json.path("tokens");
        JsonNode utilization = json.path("utilization");
        return new MetricsWindow(
                model.asText(),
                start,
                end,
                requests,
                succeeded,
                failed != null && failed.isNumber() ? failed.asLong() : Math.max(0, requests - succeeded),
                errors(json.get("errors")),
                new MetricsWindow.Latency(count(latency.get("p50")), count(latency.get("p95")),
                        count(latency.get("p99")), count(latency.get("max"))),
                count(json.get("budget_wait_p95_ms")),
                new MetricsWindow.Tokens(count(tokens.get("prompt")), count(tokens.get("completion")),
                        count(tokens.get("charged"))),
                throughput != null && throughput.isNumber() ? throughput.asDouble() : requests * 1000.0 / lengthMillis,
                count(json.get("attempts")),
                count(json.get("rate_limited_responses")),
                fraction(utilization.get("requests")),
                fraction(utilization.get("tokens")),
                fraction(json.get("cost_usd")));
    }

    private static Instant instant(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException(field + " is missing");
        }
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " must be an ISO-8601 instant, was '" + node.asText() + "'");
        }
    }

    private static long count(JsonNode node) {
        return node != null && node.isNumber() ? Math.max(0, node.asLong()) : 0;
    }

    private static OptionalDouble fraction(JsonNode node) {
        return node != null && node.isNumber() ? OptionalDouble.of(node.asDouble()) : OptionalDouble.empty();
    }

    private static Map<String, Long> errors(JsonNode node) {
        Map<String, Long> errors = new TreeMap<>();
        if (node != null && node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                long count = count(field.getValue());
                if (count > 0) {
                    errors.put(field.getKey(), count);
                }
            }
        }
        return errors;
    }
}
