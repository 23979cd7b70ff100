package io.llmstream.call.http;

import io.llmstream.limit.ProviderLimits;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderLimitsHeadersTest {

    @Test
    void readsOpenAisLimitHeadersWhateverTheirCase() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Content-Type", "text/event-stream")
                .add("X-RateLimit-Limit-Requests", "5000")
                .add("x-ratelimit-limit-tokens", "2000000")
                .add("x-ratelimit-remaining-requests", "4999")
                .add("X-RATELIMIT-RESET-REQUESTS", "12ms")
                .add("x-ratelimit-reset-tokens", "1m2.5s")
                .add("OpenAI-Processing-Ms", "250");

        ProviderLimits limits = ResponseClassifier.providerLimits(headers);

        assertThat(limits).isEqualTo(new ProviderLimits(5000, 2_000_000, Duration.ofMillis(12),
                Duration.ofMillis(62_500), Duration.ofMillis(250)));
        assertThat(limits).isEqualTo(ResponseClassifier.providerLimits(headers::get));
    }

    @Test
    void aResponseWithoutThemHasNone() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Content-Type", "application/json").add("x-request-id", "r");

        assertThat(ResponseClassifier.providerLimits(headers).isEmpty()).isTrue();
        assertThat(ResponseClassifier.providerLimits((HttpHeaders) null).isEmpty()).isTrue();
        assertThat(ResponseClassifier.providerLimits(new DefaultHttpHeaders().add("x-ratelimit-limit-requests", "x"))
                .isEmpty()).isTrue();
    }
}
