package io.llmstream.record;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;

import java.io.IOException;
import java.time.Instant;

/**
 * The JSON written to the output, dead-letter and metrics topics; the formats are documented in the
 * docs/records.md and are a public contract, so every field is written here and only here.
 */
public final class RecordJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordJson() {}

    /** A completion record, written field by field: it is the one record written for every prompt. */
    public static byte[] completion(Completion completion) {
        if (completion.isEmbedding()) {
            return embedding(completion);
        }
        ByteArrayBuilder bytes = new ByteArrayBuilder(256 + 2 * length(completion.content())
                + length(completion.metadata()) + length(completion.toolCalls()));
        try (JsonGenerator json = JSON.getFactory().createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("id", completion.id());
            json.writeStringField("model", completion.model());
            json.writeStringField("content", completion.content());
            json.writeStringField("finish_reason", completion.finishReason());
            if (completion.toolCalls() != null) {
                json.writeFieldName("tool_calls");
                json.writeRawValue(completion.toolCalls());
            }
            json.writeObjectFieldStart("usage");
            json.writeNumberField("prompt_tokens", completion.promptTokens());
            json.writeNumberField("completion_tokens", completion.completionTokens());
            json.writeNumberField("total_tokens", completion.totalTokens());
            if (completion.merged() > 0) {
                json.writeBooleanField("shared", true);
            }
            json.writeEndObject();
            json.writeNumberField("attempts", completion.attempts());
            json.writeNumberField("latency_ms", completion.latencyMs());
            json.writeNumberField("wait_ms", completion.waitMs());
            if (completion.firstTokenMs() >= 0) {
                json.writeNumberField("first_token_ms", completion.firstTokenMs());
            }
            if (completion.fallbackFrom() != null) {
                json.writeStringField("fallback_from", completion.fallbackFrom());
                json.writeStringField("fallback_reason", completion.fallbackReason());
            }
            if (completion.merged() > 0) {
                json.writeNumberField("merged", completion.merged());
            }
            json.writeFieldName("metadata");
            if (completion.metadata() == null) {
                json.writeNull();
            } else {
                json.writeRawValue(completion.metadata());
            }
            if (completion.cached()) {
                json.writeBooleanField("cached", true);
            }
            if (completion.batchId() != null) {
                json.writeStringField("lane", "batch");
                json.writeStringField("batch_id", completion.batchId());
            }
            if (completion.tenant() != null) {
                json.writeStringField("tenant", completion.tenant());
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        return bytes.toByteArray();
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }

    /**
     * An embedding model's output: the vector in place of content, written as the provider sent it (raw, so
     * its floats are not parsed and printed again), and only prompt tokens.
     */
    private static byte[] embedding(Completion completion) {
        ObjectNode json = JSON.createObjectNode()
                .put("id", completion.id())
                .put("model", completion.model());
        json.putRawValue("embedding", new RawValue(completion.embedding()));
        ObjectNode usage = json.putObject("usage")
                .put("prompt_tokens", completion.promptTokens())
                .put("total_tokens", completion.promptTokens());
        if (completion.usageShared()) {
            usage.put("shared", true);
        }
        json.put("attempts", completion.attempts())
                .put("latency_ms", completion.latencyMs())
                .put("wait_ms", completion.waitMs());
        if (completion.fallbackFrom() != null) {
            json.put("fallback_from", completion.fallbackFrom()).put("fallback_reason", completion.fallbackReason());
        }
        putRaw(json, "metadata", completion.metadata());
        if (completion.batchId() != null) {
            json.put("lane", "batch").put("batch_id", completion.batchId());
        }
        if (completion.tenant() != null) {
            json.put("tenant", completion.tenant());
        }
        return bytes(json);
    }

    public static byte[] deadLetter(DeadLetter deadLetter) {
        ObjectNode json = JSON.createObjectNode().put("id", deadLetter.id());
        ObjectNode error = json.putObject("error").put("kind", deadLetter.kind().jsonName());
        if (deadLetter.status() > 0) {
            error.put("status", deadLetter.status());
        } else {
            error.putNull("status");
        }
        error.put("code", deadLetter.code()).put("message", deadLetter.message());
        json.put("attempts", deadLetter.attempts())
                .put("model", deadLetter.model())
                .put("key_id", deadLetter.keyId())
                .put("elapsed_ms", deadLetter.elapsedMs());
        if (deadLetter.outputBytes() > 0) {
            json.put("output_bytes", deadLetter.outputBytes());
        } else {
            json.putNull("output_bytes");
        }
        json.put("input", deadLetter.input())
                .put("input_bytes", deadLetter.inputBytes())
                .put("input_truncated", deadLetter.inputTruncated());
        if (deadLetter.answer() != null) {
            json.put("answer", deadLetter.answer());
        }
        SourcePosition source = deadLetter.source();
        if (source != null) {
            json.putObject("source").put("topic", source.topic()).put("partition", source.partition())
                    .put("offset", source.offset());
        }
        if (deadLetter.tenant() != null) {
            json.put("tenant", deadLetter.tenant());
        }
        return bytes(json);
    }

    /** A line of the usage ledger. */
    public static byte[] usage(UsageRecord usage) {
        ObjectNode json = JSON.createObjectNode()
                .put("tenant", usage.tenant())
                .put("model", usage.model())
                .put("window_start", Instant.ofEpochMilli(usage.windowStart()).toString())
                .put("window_end", Instant.ofEpochMilli(usage.windowEnd()).toString())
                .put("requests", usage.requests())
                .put("prompts", usage.prompts())
                .put("prompt_tokens", usage.promptTokens())
                .put("completion_tokens", usage.completionTokens());
        if (usage.costUsd() >= 0) {
            json.put("cost_usd", Math.round(usage.costUsd() * 1e6) / 1e6);
        } else {
            json.putNull("cost_usd");
        }
        json.put("cached", usage.cached()).put("dead_letters", usage.deadLetters())
                .put("spend_limited", usage.spendLimited()).put("lane", usage.lane());
        return bytes(json);
    }

    public static byte[] windowMetrics(WindowMetrics metrics) {
        ObjectNode json = JSON.createObjectNode()
                .put("window_start", Instant.ofEpochMilli(metrics.windowStart()).toString())
                .put("window_end", Instant.ofEpochMilli(metrics.windowEnd()).toString())
                .put("model", metrics.model())
                .put("requests", metrics.requests())
                .put("succeeded", metrics.succeeded())
                .put("failed", metrics.failed())
                .put("success_rate", metrics.requests() == 0 ? 1.0 : (double) metrics.succeeded() / metrics.requests());
        ObjectNode errors = json.putObject("errors");
        ErrorKind[] kinds = ErrorKind.values();
        for (int i = 0; i < metrics.errorsByKind().length && i < kinds.length; i++) {
            if (metrics.errorsByKind()[i] > 0) {
                errors.put(kinds[i].jsonName(), metrics.errorsByKind()[i]);
            }
        }
        json.putObject("latency_ms")
                .put("p50", metrics.latencyP50Ms())
                .put("p95", metrics.latencyP95Ms())
                .put("p99", metrics.latencyP99Ms())
                .put("max", metrics.latencyMaxMs());
        json.put("budget_wait_p95_ms", metrics.budgetWaitP95Ms());
        if (metrics.firstTokenP50Ms() >= 0) {
            json.putObject("first_token_ms")
                    .put("p50", metrics.firstTokenP50Ms())
                    .put("p95", metrics.firstTokenP95Ms())
                    .put("p99", metrics.firstTokenP99Ms());
        } else {
            json.putNull("first_token_ms");
        }
        json.putObject("tokens")
                .put("prompt", metrics.promptTokens())
                .put("completion", metrics.completionTokens())
                .put("charged", metrics.chargedTokens());
        json.put("throughput_per_second", round(metrics.throughputPerSecond()))
                .put("attempts", metrics.attempts())
                .put("rate_limited_responses", metrics.rateLimitedResponses());
        ObjectNode utilization = json.putObject("utilization");
        putFraction(utilization, "requests", metrics.requestUtilization());
        putFraction(utilization, "tokens", metrics.tokenUtilization());
        if (metrics.costUsd() >= 0) {
            json.put("cost_usd", Math.round(metrics.costUsd() * 1e6) / 1e6);
        } else {
            json.putNull("cost_usd");
        }
        json.put("cache_hits", metrics.cacheHits()).put("calls_saved", metrics.callsSaved());
        if (metrics.costSavedUsd() >= 0) {
            json.put("cost_saved_usd", Math.round(metrics.costSavedUsd() * 1e6) / 1e6);
        } else {
            json.putNull("cost_saved_usd");
        }
        json.put("concurrency_limit", metrics.concurrencyLimit());
        json.put("batch_lane_requests", metrics.batchLaneRequests());
        if (metrics.batchLaneSavedUsd() >= 0) {
            json.put("batch_lane_saved_usd", Math.round(metrics.batchLaneSavedUsd() * 1e6) / 1e6);
        } else {
            json.putNull("batch_lane_saved_usd");
        }
        ObjectNode keys = json.putObject("keys");
        for (WindowMetrics.KeyWindow key : metrics.keys()) {
            ObjectNode keyJson = keys.putObject(key.keyId())
                    .put("requests", key.requests())
                    .put("charged_tokens", key.chargedTokens())
                    .put("rate_limited_responses", key.rateLimitedResponses());
            ObjectNode keyUtilization = keyJson.putObject("utilization");
            putFraction(keyUtilization, "requests", key.requestUtilization());
            putFraction(keyUtilization, "tokens", key.tokenUtilization());
        }
        return bytes(json);
    }

    private static void putFraction(ObjectNode json, String field, double fraction) {
        if (fraction < 0) {
            json.putNull(field);
        } else {
            json.put(field, round(fraction));
        }
    }

    private static double round(double value) {
        return Math.round(value * 10_000) / 10_000d;
    }

    private static void putRaw(ObjectNode json, String field, String rawJson) {
        if (rawJson == null) {
            json.putNull(field);
        } else {
            json.putRawValue(field, new RawValue(rawJson));
        }
    }

    private static byte[] bytes(ObjectNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
