package io.llmstream.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class ConfigLoaderTest {
    private static final Path SHIPPED = Path.of("conf/llmstream.yaml");
    private static final String MINIMAL = "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1/'}}\n"
            + "models: {m1: {endpoint: mock, rpm: 600}}\n";

    private final ConfigLoader loader = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test-123")::get);

    @Test
    void loadsTheShippedConfigWithItsDocumentedValues() {
        LlmStreamConfig config = loader.load(List.of(SHIPPED));

        assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.kafka().topics())
                .isEqualTo(new KafkaSettings.Topics("prompts", "completions", "prompts-dlq", "llmstream-metrics"));
        assertThat(config.kafka().startingOffsets()).isEqualTo(KafkaSettings.StartingOffsets.COMMITTED);
        assertThat(config.endpoints().get("openai").apiKeys()).extracting(ApiKey::secret, ApiKey::id)
                .containsExactly(tuple(new Secret("sk-test-123"), "openai#1"));
        assertThat(config.model("gpt-4o-mini").rpm()).isEqualTo(5000);
        assertThat(config.model("gpt-4o-mini").tpm()).isEqualTo(200000);
        assertThat(config.model("gpt-4o-mini").encoding()).isEqualTo("o200k_base");
        assertThat(config.defaultModel()).isEqualTo("gpt-4o-mini");
        assertThat(config.call()).isEqualTo(new CallSettings(CallSettings.Order.PER_ID, 100, Duration.ofMinutes(15),
                Duration.ofMinutes(10), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(10),
                new RetrySettings(4, Duration.ofMillis(500),
                        Duration.ofSeconds(30), 2.0, RetrySettings.RETRYABLE_KINDS, 2),
                new BreakerSettings(0.5, 10, 20, Duration.ofSeconds(10), Duration.ofSeconds(5),
                        BreakerSettings.WhenOpen.FALLBACK)));
        assertThat(config.job().parallelism()).isEqualTo(1);
        assertThat(config.job().bounded()).isFalse();
        assertThat(config.job().checkpointTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.job().restart()).isEqualTo(new RestartSettings(RestartSettings.Strategy.EXPONENTIAL_DELAY,
                Duration.ofSeconds(1), Duration.ofMinutes(1), 0, 5));
        assertThat(config.kafka().transactionTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.kafka().startupTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.kafka().maxRequestSize()).isEqualTo(1_048_576);
        assertThat(config.http().followsCapacity()).isTrue();
        assertThat(config.endpoints().get("openai").stream()).isTrue();
        assertThat(config.warnings()).isEmpty();
        assertThat(config.metrics().window()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void theShippedDefaultsAreTheOptionDefaults() {
        LlmStreamConfig shipped = loader.load(List.of(SHIPPED));
        LlmStreamConfig minimal = loader.loadYaml(MINIMAL);

        assertThat(minimal.call()).isEqualTo(shipped.call());
        assertThat(minimal.job()).isEqualTo(shipped.job());
        assertThat(minimal.http()).isEqualTo(shipped.http());
        assertThat(minimal.kafka()).isEqualTo(shipped.kafka());
    }

    @Test
    void exactlyOnceNeedsATransactionTimeoutThatOutlastsACheckpoint() {
        LlmStreamConfig config = loader.loadYaml(MINIMAL, "kafka: {delivery-guarantee: exactly-once}");
        assertThat(config.kafka().transactionTimeout()).isEqualTo(Duration.ofMinutes(15));

        assertThatThrownBy(() -> loader.loadYaml(MINIMAL,
                "kafka: {delivery-guarantee: exactly-once, transaction-timeout: 5m}",
                "job: {checkpoint-interval: 1m, checkpoint-timeout: 4m}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("kafka.transaction-timeout must be longer than job.checkpoint-interval + "
                        + "job.checkpoint-timeout (1m + 4m): a transaction stays open from one checkpoint until the "
                        + "next completes; was 5m");
        assertThat(loader.loadYaml(MINIMAL, "kafka: {transaction-timeout: 5m}",
                "job: {checkpoint-interval: 1m, checkpoint-timeout: 4m}").kafka().exactlyOnce())
                .as("at-least-once has no transactions to check").isFalse();
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL,
                "kafka: {properties: {transaction.timeout.ms: '60000'}}"))
                .hasMessage("kafka.properties.transaction.timeout.ms is set by kafka.transaction-timeout; use that "
                        + "key instead, was 60000");
    }

    @Test
    void boundsRecordsByTheProducersMaxRequestSize() {
        assertThat(loader.loadYaml(MINIMAL, "kafka: {properties: {max.request.size: '4194304'}}")
                .kafka().maxRequestSize()).isEqualTo(4_194_304);
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "kafka: {properties: {max.request.size: big}}"))
                .hasMessage("kafka.properties.max.request.size must be an integer >= 16384 (bytes), was big");
    }

    @Test
    void readsTheRestartStrategy() {
        RestartSettings restart = loader.loadYaml(MINIMAL,
                "job: {restart: {strategy: fixed-delay, initial-delay: 5s, max-attempts: 3, give-up-after: 2}}")
                .job().restart();

        assertThat(restart).isEqualTo(new RestartSettings(RestartSettings.Strategy.FIXED_DELAY, Duration.ofSeconds(5),
                Duration.ofMinutes(1), 3, 2));
        assertThat(restart.attemptsOrUnlimited()).isEqualTo(3);
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "job: {restart: {strategy: sometimes}}"))
                .hasMessage("job.restart.strategy must be one of exponential-delay | fixed-delay | none, was 'sometimes'");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "job: {restart: {initial-delay: 10s, max-delay: 2s}}"))
                .hasMessage("job.restart.max-delay must be >= job.restart.initial-delay (10s), was 2s");
    }

    @Test
    void readsTheOrderAndItsDeprecatedBooleanForm() {
        assertThat(loader.loadYaml(MINIMAL, "call: {order: input}").call().order()).isEqualTo(CallSettings.Order.INPUT);
        assertThat(loader.loadYaml(MINIMAL, "call: {ordered: true}").call().order())
                .isEqualTo(CallSettings.Order.PER_ID);
        assertThat(loader.loadYaml(MINIMAL, "call: {ordered: false}").call().order()).isEqualTo(CallSettings.Order.NONE);
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {ordered: false, order: input}"))
                .hasMessage("give either call.order or call.ordered, not both; call.ordered is the deprecated form, "
                        + "was false");
    }

    @Test
    void aDeadlineTheUserDidNotSetFollowsTheOnesTheyDid() {
        assertThat(deadlines("call: {timeout: 20s}")).as("a short timeout shortens what is inside it")
                .containsExactly(seconds(20), seconds(20), seconds(20), seconds(20));
        assertThat(deadlines("call: {timeout: 60s}"))
                .containsExactly(seconds(60), seconds(60), seconds(60), seconds(30));
        assertThat(deadlines("call: {attempt-timeout: 5s}"))
                .containsExactly(Duration.ofMinutes(15), seconds(5), seconds(5), seconds(5));
        assertThat(deadlines("call: {first-token-timeout: 20m}")).as("a long wait lengthens what holds it")
                .containsExactly(Duration.ofMinutes(20), Duration.ofMinutes(20), Duration.ofMinutes(20), seconds(30));
        assertThat(deadlines("")).as("the defaults")
                .containsExactly(Duration.ofMinutes(15), Duration.ofMinutes(10), seconds(60), seconds(30));
    }

    @Test
    void refusesOnlyDeadlinesTheUserSetInContradiction() {
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {attempt-timeout: 5s, first-token-timeout: 10s}"))
                .hasMessage("call.first-token-timeout must be <= call.attempt-timeout (5s), was 10s");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {attempt-timeout: 5s, idle-timeout: 10s}"))
                .hasMessage("call.idle-timeout must be <= call.attempt-timeout (5s), was 10s");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {timeout: 1m, first-token-timeout: 2m}"))
                .hasMessage("call.first-token-timeout must be <= call.attempt-timeout (1m) (call.attempt-timeout is "
                        + "not set and follows call.timeout), was 2m");
    }

    private List<Duration> deadlines(String yaml) {
        CallSettings call = loader.loadYaml(MINIMAL, yaml).call();
        return List.of(call.timeout(), call.attemptTimeout(), call.firstTokenTimeout(), call.idleTimeout());
    }

    private static Duration seconds(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void aLaterFileWinsAlsoBetweenADeprecatedKeyAndItsNewForm(@TempDir Path dir) throws Exception {
        Path later = Files.writeString(dir.resolve("later.yaml"), "call: {ordered: false}\n");
        assertThat(loader.load(List.of(SHIPPED, later)).call().order()).as("the shipped file says order: per-id")
                .isEqualTo(CallSettings.Order.NONE);
        assertThat(loader.loadYaml(MINIMAL + "call: {ordered: true}", "call: {order: input}").call().order())
                .isEqualTo(CallSettings.Order.INPUT);
        assertThat(loader.loadYaml(MINIMAL + "call: {order: input}", "call: {capacity: 5}").call().order())
                .as("a later file without either form keeps the earlier one").isEqualTo(CallSettings.Order.INPUT);
    }

    @Test
    void warnsWhenTheConnectionPoolCapsTheCapacity() {
        LlmStreamConfig config = loader.loadYaml(MINIMAL, "http: {max-connections: 50}", "call: {capacity: 256}");

        assertThat(config.warnings()).containsExactly("http.max-connections (50) is below call.capacity (256): at "
                + "most 50 requests are in flight per TaskManager, whatever the capacity; leave http.max-connections "
                + "unset to follow the capacity");
    }

    @Test
    void theLocalOverlayPointsAtTheMockAndRunsBounded() {
        LlmStreamConfig config = new ConfigLoader(name -> null).load(List.of(SHIPPED, Path.of("conf/local.yaml")));

        assertThat(config.endpoints().get("openai").baseUrl()).isEqualTo("http://127.0.0.1:8089/v1");
        assertThat(config.endpoints().get("openai").apiKeys()).extracting(ApiKey::secret).containsExactly(new Secret("mock-key"));
        assertThat(config.model("gpt-4o-mini").rpm()).isEqualTo(30000);
        assertThat(config.job().bounded()).isTrue();
    }

    @Test
    void laterFilesOverrideKeyByKey(@TempDir Path dir) throws Exception {
        Path override = dir.resolve("override.yaml");
        Files.writeString(override, "kafka: {topics: {input: other}}\njob: {bounded: true}\n"
                + "models: {gpt-4o: {rpm: 50}}\n");

        LlmStreamConfig config = loader.load(List.of(SHIPPED, override));

        assertThat(config.kafka().topics().input()).isEqualTo("other");
        assertThat(config.kafka().topics().output()).isEqualTo("completions");
        assertThat(config.job().bounded()).isTrue();
        assertThat(config.model("gpt-4o").rpm()).isEqualTo(50);
        assertThat(config.model("gpt-4o").tpm()).isEqualTo(30000);
    }

    @Test
    void defaultsApplyToAMinimalConfig() {
        LlmStreamConfig config = loader.loadYaml(MINIMAL);

        assertThat(config.defaultModel()).isEqualTo("m1");
        assertThat(config.endpoints().get("mock").baseUrl()).isEqualTo("http://127.0.0.1:8089/v1");
        assertThat(config.endpoints().get("mock").apiKeys()).isEmpty();
        assertThat(config.model("m1").hasTpmLimit()).isFalse();
        assertThat(config.model("m1").encoding()).isEqualTo("cl100k_base");
        assertThat(config.model("m1").burst()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void rejectsANegativeLimitNamingKeyAndValue() {
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "models: {m1: {rpm: -5}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models.m1.rpm must be > 0, was -5");
    }

    @Test
    void refusesAnAcceptEncodingHeaderBecauseAnswersAreReadUncompressed() {
        assertThat(loader.loadYaml(MINIMAL, "endpoints: {mock: {headers: {X-Team: data}}}").endpoints().get("mock")
                .headers()).containsEntry("X-Team", "data");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "endpoints: {mock: {headers: {accept-encoding: gzip}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("endpoints.mock.headers must be without Accept-Encoding (answers are read "
                        + "uncompressed), was ");
    }

    @Test
    void rejectsAValueOfTheWrongType() {
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {capacity: many}"))
                .hasMessage("call.capacity must be an integer, was 'many'");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {timeout: soon}"))
                .hasMessage("call.timeout must be a duration such as 500ms, 10s or 2m, was 'soon'");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "kafka: {starting-offsets: middle}"))
                .hasMessage("kafka.starting-offsets must be one of committed | earliest | latest, was 'middle'");
    }

    @Test
    void rejectsAMisspeltKeyWithASuggestion() {
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "kafka: {bootstrap-server: 'x:1'}"))
                .hasMessage("unknown key 'kafka.bootstrap-server'; did you mean 'kafka.bootstrap-servers'?");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "jobs: {parallelism: 2}"))
                .hasMessageStartingWith("unknown key 'jobs'; did you mean 'job'?");
    }

    @Test
    void rejectsCrossReferencesThatDoNotResolve() {
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "models: {m2: {endpoint: nowhere}}"))
                .hasMessage("models.m2.endpoint must name one of the endpoints [mock], was nowhere");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "default-model: m9"))
                .hasMessage("default-model must be one of the models [m1], was m9");
        assertThatThrownBy(() -> loader.loadYaml("endpoints: {mock: {base-url: 'http://x'}}"))
                .hasMessageStartingWith("models must list at least one model");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "call: {timeout: 10s, attempt-timeout: 20s}"))
                .hasMessage("call.attempt-timeout must be <= call.timeout (10s), was 20s");
    }

    @Test
    void namesTheMissingEnvironmentVariableAndTheKey() {
        ConfigLoader withoutKey = new ConfigLoader(name -> null);

        assertThatThrownBy(() -> withoutKey.load(List.of(SHIPPED)))
                .hasMessage("endpoints.openai.api-keys[0] needs the environment variable OPENAI_API_KEY, which is "
                        + "not set (set it, or write ${OPENAI_API_KEY:-default} for a default)");
    }

    @Test
    void readsDefaultsAndSecretFiles(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("key");
        Files.writeString(secret, "sk-from-file\n");
        String yaml = "endpoints: {mock: {base-url: 'http://x', api-keys: ['${file:" + secret + "}', "
                + "'${MISSING:-sk-default}', 'literal$$dollar']}}\nmodels: {m1: {endpoint: mock}}\n";

        LlmStreamConfig config = loader.loadYaml(yaml);

        assertThat(config.endpoints().get("mock").apiKeys()).extracting(ApiKey::secret).containsExactly(
                new Secret("sk-from-file"), new Secret("sk-default"), new Secret("literal$dollar"));
    }

    @Test
    void readsKeyPoolsWithIdsAndWeights() {
        LlmStreamConfig config = loader.loadYaml(MINIMAL, "endpoints: {mock: {api-keys: [sk-a, {key: sk-b, id: tier-2, "
                + "weight: 0.5}], degrade-after: 5, degraded-rps: 2.5}}");

        assertThat(config.endpoints().get("mock").apiKeys()).extracting(ApiKey::secret, ApiKey::id, ApiKey::weight)
                .containsExactly(tuple(new Secret("sk-a"), "mock#1", 1.0), tuple(new Secret("sk-b"), "tier-2", 0.5));
        assertThat(config.endpoints().get("mock").degradeAfter()).isEqualTo(5);
        assertThat(config.endpoints().get("mock").degradedRps()).isEqualTo(2.5);
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "endpoints: {mock: {api-keys: [{key: a, weight: 0}]}}"))
                .hasMessage("endpoints.mock.api-keys[0].weight must be > 0 and <= 100, was 0");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "endpoints: {mock: {api-keys: [{id: x}]}}"))
                .hasMessageStartingWith("endpoints.mock.api-keys[0].key is required");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "endpoints: {mock: {api-keys: [{key: a, id: x}, {key: b, id: x}]}}"))
                .hasMessage("endpoints.mock.api-keys[1] has the id x, which another key of endpoints.mock has already");
        assertThatThrownBy(() -> loader.loadYaml(MINIMAL, "endpoints: {mock: {api-keys: [{key: a, wieght: 2}]}}"))
                .hasMessage("unknown key 'endpoints.mock.api-keys[0].wieght'; did you mean 'endpoints.mock.api-keys[0].weight'?");
    }

    @Test
    void neverShowsSecretsInToString() {
        LlmStreamConfig config = loader.loadYaml(MINIMAL,
                "endpoints: {mock: {api-keys: ['sk-very-secret']}}\n"
                        + "kafka: {properties: {sasl.jaas.config: 'password=\"hunter2\"'}}");

        assertThat(config.toString()).doesNotContain("sk-very-secret").doesNotContain("hunter2")
                .contains("sasl.jaas.config");
        assertThat(new Secret("sk-very-secret").fingerprint()).startsWith("key-").hasSize(12);
    }

    @Test
    void reportsAMissingFileAndBadYaml(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "kafka: [unclosed\n");

        assertThatThrownBy(() -> loader.load(List.of(dir.resolve("none.yaml"))))
                .hasMessage("config file '" + dir.resolve("none.yaml") + "' does not exist");
        assertThatThrownBy(() -> loader.load(List.of(bad)))
                .hasMessageStartingWith("config file '" + bad + "' is not valid YAML at line");
    }
}
