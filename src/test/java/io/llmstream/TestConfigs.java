package io.llmstream;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;

/** Small configurations for tests. */
public final class TestConfigs {
    private TestConfigs() {}

    /** One endpoint at {@code baseUrl} with key {@code test-key} and the given YAML for models and more. */
    public static LlmStreamConfig withEndpoint(String baseUrl, String... moreYaml) {
        String[] documents = new String[moreYaml.length + 1];
        documents[0] = "endpoints: {mock: {base-url: '" + baseUrl + "', api-keys: [test-key]}}\n";
        System.arraycopy(moreYaml, 0, documents, 1, moreYaml.length);
        return new ConfigLoader(name -> null).loadYaml(documents);
    }

    /** A model {@code m1} on an endpoint that is never called. */
    public static LlmStreamConfig offline(String... moreYaml) {
        String[] documents = new String[moreYaml.length + 1];
        documents[0] = "models: {m1: {endpoint: mock, rpm: 600, tpm: 100000}}\n";
        System.arraycopy(moreYaml, 0, documents, 1, moreYaml.length);
        return withEndpoint("http://127.0.0.1:9/v1", documents);
    }
}
