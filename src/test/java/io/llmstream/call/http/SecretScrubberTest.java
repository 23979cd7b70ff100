package io.llmstream.call.http;

import io.llmstream.TestConfigs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SecretScrubberTest {

    @Test
    void removesConfiguredKeysAndKeyLikeFragmentsFromProviderMessages() {
        SecretScrubber scrubber = new SecretScrubber(TestConfigs.withEndpoint("http://x",
                "models: {m1: {endpoint: mock}}", "endpoints: {mock: {api-keys: [plain-secret-123]}}").endpointOf("m1"));

        assertThat(scrubber.scrub("HTTP 401: Incorrect API key provided: sk-ab***********yz9Q. See docs."))
                .isEqualTo("HTTP 401: Incorrect API key provided: [redacted]. See docs.");
        assertThat(scrubber.scrub("bad key plain-secret-123 given")).isEqualTo("bad key [redacted] given");
        assertThat(scrubber.scrub(null)).isNull();
    }
}
