package io.llmstream.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole, validated configuration of one job. Built once on the client by {@link ConfigLoader}
 * and shipped to the operators inside the job graph.
 */
public record LlmStreamConfig(
        KafkaSettings kafka,
        Map<String, EndpointSettings> endpoints,
        Map<String, ModelSettings> models,
        String defaultModel,
        CallSettings call,
        HttpSettings http,
        MetricsSettings metrics,
        JobSettings job,
        RecordsSettings records,
        Map<String, TenantSettings> tenants) implements Serializable {

    public static final Option<String> DEFAULT_MODEL = Option.key("default-model").stringType().noDefaultValue()
            .withDescription("Model for prompts that name none; defaults to the first model listed.");

    /** Reads and cross-checks the root section; unknown keys anywhere are an error. */
    static LlmStreamConfig read(ConfigSection root) {
        KafkaSettings kafka = KafkaSettings.read(root.section("kafka"));
        Map<String, EndpointSettings> endpoints = new LinkedHashMap<>();
        root.entries("endpoints").forEach((name, section) -> endpoints.put(name, EndpointSettings.read(name, section)));
        Map<String, ModelSettings> models = new LinkedHashMap<>();
        root.entries("models").forEach((name, section) -> models.put(name, ModelSettings.read(name, section)));
        Map<String, TenantSettings> tenants = new LinkedHashMap<>();
        root.entries("tenants").forEach((name, section) -> tenants.put(name, TenantSettings.read(name, section,
                models)));
        String defaultModel = root.get(DEFAULT_MODEL);
        CallSettings call = CallSettings.read(root.section("call"));
        HttpSettings http = HttpSettings.read(root.section("http"));
        MetricsSettings metrics = MetricsSettings.read(root.section("metrics"));
        JobSettings job = JobSettings.read(root.section("job"));
        RecordsSettings records = RecordsSettings.read(root.section("records"));
        root.rejectUnknownKeys();

        if (models.isEmpty()) {
            throw new ConfigException("models must list at least one model, e.g. models: {gpt-4o-mini: "
                    + "{endpoint: openai, rpm: 500, tpm: 200000}}");
        }
        for (ModelSettings model : models.values()) {
            if (!endpoints.containsKey(model.endpoint())) {
                throw new ConfigException("models." + model.name() + ".endpoint must name one of the endpoints "
                        + endpoints.keySet() + ", was " + model.endpoint());
            }
            for (String fallback : model.fallbacks()) {
                if (!models.containsKey(fallback) || fallback.equals(model.name())) {
                    throw new ConfigException("models." + model.name() + ".fallbacks must name other models of "
                            + models.keySet() + ", was " + fallback);
                }
                if (models.get(fallback).kind() != model.kind()) {
                    throw new ConfigException("models." + model.name() + ".fallbacks must name models of its own kind ("
                            + ValueType.kebab(model.kind()) + "), was " + fallback + ", "
                            + (models.get(fallback).isEmbedding() ? "an embedding" : "a chat") + " model");
                }
            }
        }
        checkTransactionTimeout(kafka, job);
        if (defaultModel == null) {
            defaultModel = models.keySet().iterator().next();
        } else if (!models.containsKey(defaultModel)) {
            throw new ConfigException("default-model must be one of the models " + models.keySet()
                    + ", was " + defaultModel);
        }
        checkTemplateModel(records, models);
        checkMergedJsonAnswers(records, models);
        checkSpendCaps(tenants, models);
        return new LlmStreamConfig(kafka, Collections.unmodifiableMap(endpoints), Collections.unmodifiableMap(models),
                defaultModel, call, http, metrics, job, records, Collections.unmodifiableMap(tenants));
    }

    /**
     * A tenant's spend can only be capped where every model it may use has a price, and where the cost is known
     * before the request goes: the batch lane's cost is known only when its batch ends.
     */
    private static void checkSpendCaps(Map<String, TenantSettings> tenants, Map<String, ModelSettings> models) {
        for (TenantSettings tenant : tenants.values()) {
            if (!tenant.hasSpendCap()) {
                continue;
            }
            for (ModelSettings model : models.values()) {
                if (model.price() == null) {
                    throw new ConfigException("tenants." + tenant.name() + ".spend-per-day needs a price for every "
                            + "model the tenant may use, but model " + model.name() + " has none: set models."
                            + model.name() + ".price.input and .output");
                }
                if (model.hasBatchLane()) {
                    throw new ConfigException("tenants." + tenant.name() + ".spend-per-day cannot be held on model "
                            + model.name() + "'s batch lane (a batch's cost is known only when it ends): remove "
                            + "models." + model.name() + ".batch-lane or the spend cap");
                }
            }
        }
    }

    /** The spend caps per tenant name ("default" covers the tenants not listed); empty when none is capped. */
    public Map<String, Double> spendCaps() {
        Map<String, Double> caps = new LinkedHashMap<>();
        tenants.values().stream().filter(TenantSettings::hasSpendCap)
                .forEach(tenant -> caps.put(tenant.name(), tenant.spendPerDay()));
        return caps;
    }

    /**
     * The tenant whose spend cap a record's tenant spends from: itself when listed, else "default" (the tenants
     * not listed share the default tenant's cap); null when that one has no cap.
     */
    public TenantSettings spendingTenant(String name) {
        TenantSettings listed = name == null ? null : tenants.get(name);
        TenantSettings tenant = listed != null ? listed : tenants.get(TenantSettings.DEFAULT);
        return tenant != null && tenant.hasSpendCap() ? tenant : null;
    }

    /** A literal template model must be configured; one taken from a field is checked per record. */
    private static void checkTemplateModel(RecordsSettings records, Map<String, ModelSettings> models) {
        TemplateText model = records.templated() ? records.template().model() : null;
        if (model != null && model.isLiteral() && !models.containsKey(model.source())) {
            throw new ConfigException("records.template.model must be one of the models " + models.keySet()
                    + " or a placeholder such as \"{{model}}\", was " + model.source());
        }
    }

    /**
     * An answer that must be JSON is checked (and asked again) on its own; an answer taken out of a merged
     * reply has no attempt of its own to repeat, so the two do not go together.
     */
    private static void checkMergedJsonAnswers(RecordsSettings records, Map<String, ModelSettings> models) {
        if (!records.jsonAnswers()) {
            return;
        }
        for (ModelSettings model : models.values()) {
            if (model.merge() != null) {
                throw new ConfigException("models." + model.name() + ".merge cannot be used with records.answer: "
                        + "json (each JSON answer is checked and asked again on its own); remove merge from the "
                        + "model or use records.answer: text");
            }
        }
    }

    /**
     * A transaction stays open from one checkpoint until the next one completes; a broker aborts it after
     * the transaction timeout, and its records would be lost.
     */
    private static void checkTransactionTimeout(KafkaSettings kafka, JobSettings job) {
        if (!kafka.exactlyOnce()) {
            return;
        }
        java.time.Duration needed = job.checkpointInterval().plus(job.checkpointTimeout());
        if (kafka.transactionTimeout().compareTo(needed) <= 0) {
            throw new ConfigException("kafka." + KafkaSettings.TRANSACTION_TIMEOUT.key() + " must be longer than job."
                    + JobSettings.CHECKPOINT_INTERVAL.key() + " + job." + JobSettings.CHECKPOINT_TIMEOUT.key() + " ("
                    + Durations.format(job.checkpointInterval()) + " + " + Durations.format(job.checkpointTimeout())
                    + "): a transaction stays open from one checkpoint until the next completes; was "
                    + Durations.format(kafka.transactionTimeout()));
        }
    }

    /**
     * Settings that work but are probably not what the user wants, one sentence each naming the keys;
     * printed and logged at start.
     */
    public java.util.List<String> warnings() {
        java.util.List<String> warnings = new java.util.ArrayList<>();
        if (!http.followsCapacity() && http.maxConnections() < call.capacity()) {
            warnings.add("http.max-connections (" + http.maxConnections() + ") is below call.capacity ("
                    + call.capacity() + "): at most " + http.maxConnections() + " requests are in flight per "
                    + "TaskManager, whatever the capacity; leave http.max-connections unset to follow the capacity");
        }
        return warnings;
    }

    /** A copy with other Kafka settings, e.g. those the start-up check adjusted to the brokers. */
    public LlmStreamConfig withKafka(KafkaSettings kafka) {
        return new LlmStreamConfig(kafka, endpoints, models, defaultModel, call, http, metrics, job, records, tenants);
    }

    /** Whether the configuration lists tenants ({@code tenants}); without, everything is tenant "default". */
    public boolean hasTenants() {
        return !tenants.isEmpty();
    }

    /** A record's tenant: as listed, else the "default" tenant's settings under the record's name. */
    public TenantSettings tenant(String name) {
        TenantSettings listed = tenants.get(name);
        if (listed != null) {
            return listed;
        }
        TenantSettings fallback = tenants.getOrDefault(TenantSettings.DEFAULT, TenantSettings.DEFAULT_TENANT);
        return name == null || name.equals(fallback.name()) ? fallback
                : fallback.named(name);
    }

    /** The weight of a record's tenant in the models' fair shares (the "default" tenant's when not listed). */
    public double tenantWeight(String name) {
        if (tenants.isEmpty()) {
            return 1.0;
        }
        TenantSettings listed = name == null ? null : tenants.get(name);
        return listed != null ? listed.weight()
                : tenants.getOrDefault(TenantSettings.DEFAULT, TenantSettings.DEFAULT_TENANT).weight();
    }

    /** A record's tenant's caps on a model; zeros when none (or no tenants). */
    public TenantSettings.Cap tenantCap(String name, String model) {
        if (tenants.isEmpty()) {
            return TenantSettings.NO_CAP;
        }
        TenantSettings listed = name == null ? null : tenants.get(name);
        TenantSettings tenant = listed != null ? listed
                : tenants.getOrDefault(TenantSettings.DEFAULT, TenantSettings.DEFAULT_TENANT);
        return tenant.caps().getOrDefault(model, TenantSettings.NO_CAP);
    }

    /** The model's settings; the model must be configured. */
    public ModelSettings model(String name) {
        ModelSettings model = models.get(name);
        if (model == null) {
            throw new IllegalArgumentException("unknown model " + name);
        }
        return model;
    }

    /** How many shards share a configured model's limits: its own setting, or the job's parallelism. */
    public int shardsOf(String modelName) {
        int shards = model(modelName).shards();
        return shards == ModelSettings.AUTO_SHARDS ? job.parallelism() : shards;
    }

    /** The endpoint that serves a configured model. */
    public EndpointSettings endpointOf(String modelName) {
        return endpoints.get(model(modelName).endpoint());
    }
}
