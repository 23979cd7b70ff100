package io.llmstream.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** models.<m>.kind and models.<m>.batch: defaults, and the starts they refuse. */
class EmbeddingConfigTest {
    private static final String ENDPOINT = "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1'}}\n";
    private final ConfigLoader loader = new ConfigLoader(name -> null);

    private LlmStreamConfig load(String models) {
        return loader.loadYaml(ENDPOINT, models);
    }

    @Test
    void aModelIsAChatModelWithoutBatchesByDefault() {
        ModelSettings model = load("models: {m1: {endpoint: mock}}").model("m1");

        assertThat(model.kind()).isEqualTo(ModelKind.CHAT);
        assertThat(model.isEmbedding()).isFalse();
        assertThat(model.batch()).isNull();
    }

    @Test
    void anEmbeddingModelBatchesWithDefaults() {
        ModelSettings model = load("models: {emb: {endpoint: mock, kind: embedding}}").model("emb");

        assertThat(model.isEmbedding()).isTrue();
        assertThat(model.batch()).isEqualTo(new BatchSettings(256, 300_000, Duration.ofMillis(50)));
        assertThat(model.batchTokens()).isEqualTo(300_000);
    }

    @Test
    void readsBatchSettingsAndCapsTheTokensAtTheTpm() {
        ModelSettings model = load("models: {emb: {endpoint: mock, kind: embedding, tpm: 100000, "
                + "batch: {max-inputs: 2048, max-tokens: 500000, max-wait: 1s}}}").model("emb");

        assertThat(model.batch()).isEqualTo(new BatchSettings(2048, 500_000, Duration.ofSeconds(1)));
        assertThat(model.batchTokens()).isEqualTo(100_000);
    }

    @Test
    void refusesABatchOnAChatModel() {
        assertThatThrownBy(() -> load("models: {gpt-4o: {endpoint: mock, batch: {max-inputs: 16}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models.gpt-4o.batch applies only to embedding models: set models.gpt-4o.kind: embedding,"
                        + " or remove models.gpt-4o.batch");
    }

    @Test
    void refusesAnUnknownKindAndBadBatchValues() {
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: vision}}"))
                .hasMessage("models.emb.kind must be one of chat | embedding, was 'vision'");
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: embedding, batch: {max-inputs: 4096}}}"))
                .hasMessage("models.emb.batch.max-inputs must be between 1 and 2048, was 4096");
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: embedding, batch: {max-tokens: 0}}}"))
                .hasMessage("models.emb.batch.max-tokens must be > 0, was 0");
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: embedding, batch: {max-wait: 2m}}}"))
                .hasMessage("models.emb.batch.max-wait must be between 0 and 60s, was 2m");
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: embedding, batch: {max-input: 5}}}"))
                .hasMessage("unknown key 'models.emb.batch.max-input'; did you mean 'models.emb.batch.max-inputs'?");
    }

    @Test
    void refusesFallbacksBetweenAChatAndAnEmbeddingModel() {
        assertThatThrownBy(() -> load("models: {emb: {endpoint: mock, kind: embedding, fallbacks: [m1]}, "
                + "m1: {endpoint: mock}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models.emb.fallbacks must name models of its own kind (embedding), was m1, a chat model");
        assertThatThrownBy(() -> load("models: {m1: {endpoint: mock, fallbacks: [emb]}, "
                + "emb: {endpoint: mock, kind: embedding}}"))
                .hasMessage("models.m1.fallbacks must name models of its own kind (chat), was emb, an embedding model");
    }

    @Test
    void theShippedExampleOfAnEmbeddingModelLoadsWhenUncommented() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("conf/llmstream.yaml"));
        int start = lines.indexOf("  # text-embedding-3-small:");
        assertThat(start).as("the commented example").isPositive();
        StringBuilder model = new StringBuilder("models:\n");
        for (int i = start; i < lines.size() && lines.get(i).startsWith("  # "); i++) {
            model.append("  ").append(lines.get(i).substring(4)).append('\n');
        }
        LlmStreamConfig config = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test")::get)
                .load(List.of(Path.of("conf/llmstream.yaml")));
        LlmStreamConfig withExample = loader.loadYaml(ENDPOINT, model.toString().replace("endpoint: openai",
                "endpoint: mock"));

        assertThat(config.models()).doesNotContainKey("text-embedding-3-small");
        ModelSettings example = withExample.model("text-embedding-3-small");
        assertThat(example.isEmbedding()).isTrue();
        assertThat(example.batch()).isEqualTo(BatchSettings.DEFAULT);
        assertThat(example.rpm()).isEqualTo(3000);
    }

    @Test
    void makesRoomForTwoBatchesInTheCallStage() {
        LlmStreamConfig config = load("models: {m1: {endpoint: mock}, emb: {endpoint: mock, kind: embedding}}");
        assertThat(io.llmstream.call.ChatCompletionFunction.stageCapacity(config)).isEqualTo(512);
        LlmStreamConfig chatOnly = load("models: {m1: {endpoint: mock}}");
        assertThat(io.llmstream.call.ChatCompletionFunction.stageCapacity(chatOnly)).isEqualTo(100);
    }
}
