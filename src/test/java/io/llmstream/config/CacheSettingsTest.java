package io.llmstream.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheSettingsTest {
    private static final String ENDPOINT = "endpoints: {mock: {base-url: 'http://127.0.0.1:8089/v1/'}}\n";

    private final ConfigLoader loader = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test-123")::get);

    private CacheSettings cacheOf(String modelYaml) {
        return loader.loadYaml(ENDPOINT, "models: {m1: {endpoint: mock" + modelYaml + "}}").model("m1").cache();
    }

    @Test
    void isOffWithoutACacheSectionOrWithoutATtl() {
        assertThat(cacheOf("")).isEqualTo(CacheSettings.OFF);
        assertThat(cacheOf(", cache: {ttl: 0}").enabled()).isFalse();
        assertThat(cacheOf(", cache: {ttl: 0s, max-entries: 5}").enabled()).isFalse();
        assertThat(cacheOf(", cache: {max-entries: 5}").enabled()).isFalse();
        assertThat(loader.load(List.of(java.nio.file.Path.of("conf/llmstream.yaml"))).models().values())
                .allSatisfy(model -> assertThat(model.cache().enabled()).as(model.name()).isFalse());
    }

    @Test
    void readsTheTtlAndMaxEntriesWithTheirDefault() {
        assertThat(cacheOf(", cache: {ttl: 10m}")).isEqualTo(new CacheSettings(Duration.ofMinutes(10), 10_000));
        assertThat(cacheOf(", cache: {ttl: 90s, max-entries: 500}"))
                .isEqualTo(new CacheSettings(Duration.ofSeconds(90), 500));
        assertThat(cacheOf(", cache: {ttl: 1ms}").enabled()).isTrue();
    }

    @Test
    void refusesBadValuesNamingTheKeyAndTheValue() {
        assertThatThrownBy(() -> cacheOf(", cache: {ttl: soon}")).isInstanceOf(ConfigException.class)
                .hasMessage("models.m1.cache.ttl must be a duration such as 500ms, 10s or 2m, was 'soon'");
        assertThatThrownBy(() -> cacheOf(", cache: {ttl: -5m}"))
                .hasMessage("models.m1.cache.ttl must be a duration such as 500ms, 10s or 2m, was '-5m'");
        assertThatThrownBy(() -> cacheOf(", cache: {ttl: 0.5ms}"))
                .hasMessage("models.m1.cache.ttl must be 0 (off) or at least 1ms, was 0.5ms");
        assertThatThrownBy(() -> cacheOf(", cache: {ttl: 10m, max-entries: 0}"))
                .hasMessage("models.m1.cache.max-entries must be between 1 and 10000000, was 0");
        assertThatThrownBy(() -> cacheOf(", cache: {ttl: 10m, max-entries: many}"))
                .hasMessage("models.m1.cache.max-entries must be an integer, was 'many'");
        assertThatThrownBy(() -> cacheOf(", cache: {tll: 10m}"))
                .hasMessage("unknown key 'models.m1.cache.tll'; did you mean 'models.m1.cache.ttl'?");
        assertThatThrownBy(() -> cacheOf(", cache: 10m"))
                .hasMessage("models.m1.cache must be a map of keys, was '\"10m\"'");
    }
}
