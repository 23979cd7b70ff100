package io.llmstream.measure;

import java.util.List;

/**
 * The names of llmstream's Flink metrics. Each model's metrics live in a {@code model} group of the
 * operator that registers them ({@code <operator>.model.<model name>.<metric>}), each API key's in a
 * {@code key} group below it (by key id, never the key), and failures in an {@code errorKind} group
 * below the model. With the Prometheus reporter the groups become labels:
 * {@code flink_taskmanager_job_task_operator_model_requests{model="gpt-4o",...}}.
 *
 * <p>Registered by the route stage ({@code route-results}): the counters, meters and histograms of
 * finished calls. Registered by the call stage ({@code call-llm-api}): the gauges of live state.
 */
public final class LlmMetrics {
    /** The group of one model; its value is the model's name. */
    public static final String MODEL_GROUP = "model";
    /** The group of one API key below its model; its value is the key's id. */
    public static final String KEY_GROUP = "key";
    /**
     * The group of one tenant, when tenants share the job; its value is the tenant's name as listed under
     * {@code tenants}, and "default" for every tenant not listed, so that their number stays that of the
     * configuration whatever names the records carry.
     */
    public static final String TENANT_GROUP = "tenant";
    /** The group of one error kind below its model; its value is the kind, e.g. {@code server_error}. */
    public static final String ERROR_KIND_GROUP = "errorKind";

    /** Counter: prompts finished, as a completion or a dead letter after the call. */
    public static final String REQUESTS = "requests";
    /** Meter: prompts finished per second. */
    public static final String REQUESTS_PER_SECOND = "requestsPerSecond";
    /** Counter: prompts answered. */
    public static final String SUCCESSES = "successes";
    /** Counter: prompts dead-lettered after the call, in total and (in the errorKind group) by kind. */
    public static final String FAILURES = "failures";
    /** Meter: prompts dead-lettered per second. */
    public static final String FAILURES_PER_SECOND = "failuresPerSecond";
    /** Counter: attempts beyond the first. */
    public static final String RETRIES = "retries";
    /** Counter: 429 answers received. */
    public static final String RATE_LIMITED = "rateLimited";
    /** Counter: prompts answered (or failed) on a fallback model; counted under the model that answered. */
    public static final String FALLBACKS = "fallbacks";
    /** Counter: prompt tokens the provider reported. */
    public static final String PROMPT_TOKENS = "promptTokens";
    /** Counter: completion tokens the provider reported. */
    public static final String COMPLETION_TOKENS = "completionTokens";
    /** Meter: prompt plus completion tokens per second. */
    public static final String TOKENS_PER_SECOND = "tokensPerSecond";
    /** Histogram (ms): admission to final answer, retries included, over the last minute. */
    public static final String LATENCY = "latency";
    /** Histogram (ms): the provider's time for the last attempt, over the last minute. */
    public static final String PROVIDER_LATENCY = "providerLatency";
    /** Histogram (ms): time waiting for rate-limit budget before the first attempt, over the last minute. */
    public static final String BUDGET_WAIT = "budgetWait";
    /** Histogram (ms): sending to the first chunk of streamed successful answers, over the last minute. */
    public static final String TIME_TO_FIRST_TOKEN = "timeToFirstToken";

    /** Counter: prompts answered from the model's cache, without a call of their own. */
    public static final String CACHE_HITS = "cacheHits";
    /** Counter: provider requests the cache saved: the attempts of the calls whose answers were reused. */
    public static final String CALLS_SAVED = "callsSaved";
    /** Counter: prompt tokens of reused answers, not spent again; times the input price is the cost saved. */
    public static final String PROMPT_TOKENS_SAVED = "promptTokensSaved";
    /** Counter: completion tokens of reused answers, not spent again; times the output price is the cost saved. */
    public static final String COMPLETION_TOKENS_SAVED = "completionTokensSaved";

    /** Gauge: prompts in the call stage, waiting for budget or in flight. */
    public static final String IN_FLIGHT = "inFlight";
    /** Gauge: requests admitted per minute over the last seconds, as a share of the rpm limit; -1 if none. */
    public static final String REQUEST_UTILIZATION = "requestUtilization";
    /** Gauge: tokens admitted per minute over the last seconds, as a share of the tpm limit; -1 if none. */
    public static final String TOKEN_UTILIZATION = "tokenUtilization";
    /** Gauge: the model's circuit: 0 closed, 1 half-open, 2 open. */
    public static final String CIRCUIT_STATE = "circuitState";
    /** Gauge: the model's budget shards held here whose circuit is open; summed over subtasks, all of them. */
    public static final String OPEN_CIRCUITS = "openCircuits";
    /**
     * Gauge: how many requests may be at the model's server at once, summed over the budget shards held here
     * (the adaptive concurrency's current limit, or the fixed one); summed over subtasks, the job's.
     */
    public static final String CONCURRENCY_LIMIT = "concurrencyLimit";
    /** Gauge: requests waiting for budget in the model's dispatcher. */
    public static final String WAITING_FOR_BUDGET = "waitingForBudget";
    /** Counter (tenant group): the tenant's prompts dead-lettered because its day's spend was used up. */
    public static final String SPEND_LIMITED = "spendLimited";
    /** Gauge (tenant group): what this instance spent of the capped tenant's UTC day, in US dollars; sum over subtasks. */
    public static final String SPENT_TODAY_USD = "spentTodayUsd";
    /**
     * Gauge (tenant group): the tenant's records the call stage read and left in Kafka, to read again when the
     * tenant has room (its backlog beyond its part of the stage's read-ahead); sum over subtasks.
     */
    public static final String WAITING_IN_KAFKA = "waitingInKafka";
    /** Gauge (key group): the key's health: 0 healthy, 1 degraded, 2 removed (refused by the provider). */
    public static final String KEY_STATE = "keyState";

    /** Every metric name registered in the model group by the route stage. */
    public static final List<String> ROUTE_MODEL_METRICS = List.of(REQUESTS, REQUESTS_PER_SECOND, SUCCESSES, FAILURES,
            FAILURES_PER_SECOND, RETRIES, RATE_LIMITED, FALLBACKS, PROMPT_TOKENS, COMPLETION_TOKENS,
            TOKENS_PER_SECOND, LATENCY, PROVIDER_LATENCY, BUDGET_WAIT, TIME_TO_FIRST_TOKEN, CACHE_HITS, CALLS_SAVED,
            PROMPT_TOKENS_SAVED, COMPLETION_TOKENS_SAVED);
    /** Every metric name registered in the key group by the route stage. */
    public static final List<String> ROUTE_KEY_METRICS = List.of(REQUESTS, FAILURES, RATE_LIMITED);
    /** Every metric name registered in the errorKind group by the route stage. */
    public static final List<String> ROUTE_ERROR_KIND_METRICS = List.of(FAILURES);
    /** Every metric name registered in the model group by the call stage. */
    public static final List<String> CALL_MODEL_METRICS = List.of(IN_FLIGHT, REQUEST_UTILIZATION, TOKEN_UTILIZATION,
            CIRCUIT_STATE, OPEN_CIRCUITS, WAITING_FOR_BUDGET, CONCURRENCY_LIMIT);
    /** Every metric name registered in the tenant group by the route stage. */
    public static final List<String> ROUTE_TENANT_METRICS = List.of(REQUESTS, SUCCESSES, FAILURES, PROMPT_TOKENS,
            COMPLETION_TOKENS, SPEND_LIMITED);
    /** Every metric name registered in the tenant group by the call stage (the spend only for capped tenants). */
    public static final List<String> CALL_TENANT_METRICS = List.of(WAITING_FOR_BUDGET, SPENT_TODAY_USD,
            WAITING_IN_KAFKA);
    /** Every metric name registered in the key group by the call stage. */
    public static final List<String> CALL_KEY_METRICS = List.of(KEY_STATE);

    private LlmMetrics() {}
}
