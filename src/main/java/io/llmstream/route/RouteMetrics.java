package io.llmstream.route;

import io.llmstream.config.TenantSettings;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.measure.RollingHistogram;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The route stage's Flink metrics: what every finished call counted, per model, per API key and per
 * error kind (names in {@link LlmMetrics}). Groups are made when a model, key or kind is first seen.
 * Not thread-safe: the route stage's task thread is the only writer.
 */
public final class RouteMetrics {
    private final MetricGroup operatorGroup;
    private final Map<String, ModelMetrics> byModel = new HashMap<>();
    private final Set<String> listedTenants;
    private final Map<String, TenantMetrics> byTenant = new HashMap<>();

    public RouteMetrics(MetricGroup operatorGroup) {
        this(operatorGroup, Set.of());
    }

    /** @param listedTenants the tenants that have metrics of their own; the others count as "default" */
    public RouteMetrics(MetricGroup operatorGroup, Set<String> listedTenants) {
        this.operatorGroup = operatorGroup;
        this.listedTenants = listedTenants;
    }

    /** Counts one finished call. */
    public void record(MetricEvent event) {
        byModel.computeIfAbsent(event.model(), model -> new ModelMetrics(operatorGroup.addGroup(
                LlmMetrics.MODEL_GROUP, model))).record(event);
        if (event.tenant() != null && !listedTenants.isEmpty()) {
            String tenant = listedTenants.contains(event.tenant()) ? event.tenant() : TenantSettings.DEFAULT;
            byTenant.computeIfAbsent(tenant, name -> new TenantMetrics(operatorGroup.addGroup(
                    LlmMetrics.TENANT_GROUP, name))).record(event);
        }
    }

    /** One tenant's counters (a bounded number: the listed tenants and "default"). */
    private static final class TenantMetrics {
        private final Counter requests;
        private final Counter successes;
        private final Counter failures;
        private final Counter promptTokens;
        private final Counter completionTokens;
        private final Counter spendLimited;

        TenantMetrics(MetricGroup group) {
            requests = group.counter(LlmMetrics.REQUESTS);
            successes = group.counter(LlmMetrics.SUCCESSES);
            failures = group.counter(LlmMetrics.FAILURES);
            promptTokens = group.counter(LlmMetrics.PROMPT_TOKENS);
            completionTokens = group.counter(LlmMetrics.COMPLETION_TOKENS);
            spendLimited = group.counter(LlmMetrics.SPEND_LIMITED);
        }

        void record(MetricEvent event) {
            requests.inc();
            if (event.succeeded()) {
                successes.inc();
                if (!event.cached()) {
                    promptTokens.inc(event.promptTokens());
                    completionTokens.inc(event.completionTokens());
                }
            } else {
                failures.inc();
                if (event.errorKind() == ErrorKind.SPEND_LIMIT) {
                    spendLimited.inc();
                }
            }
        }
    }

    /** One model's metrics. */
    private static final class ModelMetrics {
        private final MetricGroup group;
        private final Counter requests;
        private final Counter successes;
        private final Counter failures;
        private final Counter retries;
        private final Counter rateLimited;
        private final Counter fallbacks;
        private final Counter promptTokens;
        private final Counter completionTokens;
        private final Counter tokens;
        private final RollingHistogram latency;
        private final RollingHistogram providerLatency;
        private final RollingHistogram budgetWait;
        private final RollingHistogram timeToFirstToken;
        private final CacheCounters cache;
        private final Map<ErrorKind, Counter> failuresByKind = new EnumMap<>(ErrorKind.class);
        private final Map<String, KeyMetrics> byKey = new HashMap<>();

        ModelMetrics(MetricGroup group) {
            this.group = group;
            requests = group.counter(LlmMetrics.REQUESTS);
            group.meter(LlmMetrics.REQUESTS_PER_SECOND, new MeterView(requests));
            successes = group.counter(LlmMetrics.SUCCESSES);
            failures = group.counter(LlmMetrics.FAILURES);
            group.meter(LlmMetrics.FAILURES_PER_SECOND, new MeterView(failures));
            retries = group.counter(LlmMetrics.RETRIES);
            rateLimited = group.counter(LlmMetrics.RATE_LIMITED);
            fallbacks = group.counter(LlmMetrics.FALLBACKS);
            promptTokens = group.counter(LlmMetrics.PROMPT_TOKENS);
            completionTokens = group.counter(LlmMetrics.COMPLETION_TOKENS);
            tokens = new SimpleCounter();
            group.meter(LlmMetrics.TOKENS_PER_SECOND, new MeterView(tokens));
            latency = group.histogram(LlmMetrics.LATENCY, new RollingHistogram());
            providerLatency = group.histogram(LlmMetrics.PROVIDER_LATENCY, new RollingHistogram());
            budgetWait = group.histogram(LlmMetrics.BUDGET_WAIT, new RollingHistogram());
            timeToFirstToken = group.histogram(LlmMetrics.TIME_TO_FIRST_TOKEN, new RollingHistogram());
            cache = new CacheCounters(group);
        }

        void record(MetricEvent event) {
            requests.inc();
            if (event.succeeded()) {
                successes.inc();
            } else {
                failures.inc();
                failuresByKind.computeIfAbsent(event.errorKind(), kind -> group
                        .addGroup(LlmMetrics.ERROR_KIND_GROUP, kind.jsonName()).counter(LlmMetrics.FAILURES)).inc();
            }
            if (event.cached()) {
                // No call: nothing spent, nothing to time; what the reused answer cost counts as saved.
                cache.record(event);
                return;
            }
            retries.inc(Math.max(0, event.attempts() - 1));
            rateLimited.inc(event.rateLimitedResponses());
            if (event.fallback()) {
                fallbacks.inc();
            }
            promptTokens.inc(event.promptTokens());
            completionTokens.inc(event.completionTokens());
            tokens.inc((long) event.promptTokens() + event.completionTokens());
            latency.update(event.latencyMs());
            if (event.providerLatencyMs() >= 0) {
                providerLatency.update(event.providerLatencyMs());
            }
            if (event.attempts() > 0) {
                budgetWait.update(event.waitMs());
            }
            if (event.firstTokenMs() >= 0) {
                timeToFirstToken.update(event.firstTokenMs());
            }
            if (event.keyId() != null) {
                byKey.computeIfAbsent(event.keyId(), key -> new KeyMetrics(group.addGroup(LlmMetrics.KEY_GROUP, key)))
                        .record(event);
            }
        }
    }

    /** One API key's metrics within a model. */
    private static final class KeyMetrics {
        private final Counter requests;
        private final Counter failures;
        private final Counter rateLimited;

        KeyMetrics(MetricGroup group) {
            requests = group.counter(LlmMetrics.REQUESTS);
            failures = group.counter(LlmMetrics.FAILURES);
            rateLimited = group.counter(LlmMetrics.RATE_LIMITED);
        }

        void record(MetricEvent event) {
            requests.inc();
            if (!event.succeeded()) {
                failures.inc();
            }
            rateLimited.inc(event.rateLimitedResponses());
        }
    }
}
