package io.llmstream.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MergeSettingsTest {
    private static final String ENDPOINT = "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1/'}}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);

    private ModelSettings model(String modelYaml) {
        return loader.loadYaml(ENDPOINT, "models: {m1: {endpoint: mock" + modelYaml + "}}").model("m1");
    }

    @Test
    void isOffWithoutAMergeEntry() {
        assertThat(model("").merge()).isNull();
        assertThat(model(", merge: null").merge()).isNull();
    }

    @Test
    void readsBothKeysAndDefaultsTheOthers() {
        assertThat(model(", merge: {max-prompts: 8, max-wait: 50ms}").merge())
                .isEqualTo(new MergeSettings(8, Duration.ofMillis(50)));
        assertThat(model(", merge: {}").merge()).isEqualTo(new MergeSettings(16, Duration.ofMillis(200)));
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheKeyAndTheValue() {
        assertThatThrownBy(() -> model(", merge: {max-prompts: 1}"))
                .hasMessage("models.m1.merge.max-prompts must be between 2 and 64, was 1");
        assertThatThrownBy(() -> model(", merge: {max-prompts: 65}"))
                .hasMessage("models.m1.merge.max-prompts must be between 2 and 64, was 65");
        assertThatThrownBy(() -> model(", merge: {max-prompts: many}"))
                .hasMessage("models.m1.merge.max-prompts must be an integer, was 'many'");
        assertThatThrownBy(() -> model(", merge: {max-wait: 0s}"))
                .hasMessage("models.m1.merge.max-wait must be between 1ms and 60s, was 0s");
        assertThatThrownBy(() -> model(", merge: {max-wait: 2m}"))
                .hasMessage("models.m1.merge.max-wait must be between 1ms and 60s, was 2m");
    }

    @Test
    void rejectsAMisspeltKeyAndAValueThatIsNoMap() {
        assertThatThrownBy(() -> model(", merge: {max-prompt: 8}"))
                .hasMessage("unknown key 'models.m1.merge.max-prompt'; did you mean 'models.m1.merge.max-prompts'?");
        assertThatThrownBy(() -> model(", merge: 16"))
                .hasMessage("models.m1.merge must be a map of keys, was '16'");
    }
}
