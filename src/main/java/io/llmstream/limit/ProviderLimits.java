package io.llmstream.limit;

import java.time.Duration;

/**
 * What a provider's response said about its limits for the key and model: OpenAI's and Azure's
 * {@code x-ratelimit-limit-*} and {@code x-ratelimit-reset-*} headers. Absent values are -1 and null.
 *
 * @param requestLimit the per-minute request limit the provider enforces
 * @param tokenLimit the per-minute token limit the provider enforces
 * @param requestReset how long until the provider's request budget is full again
 * @param tokenReset how long until the provider's token budget is full again
 * @param processing how long the provider worked on the request after admitting it
 *     ({@code openai-processing-ms}); null when not reported
 */
public record ProviderLimits(long requestLimit, long tokenLimit, Duration requestReset, Duration tokenReset,
                             Duration processing) {

    /** Nothing known. */
    public static final ProviderLimits NONE = new ProviderLimits(-1, -1, null, null, null);

    public boolean isEmpty() {
        return requestLimit < 0 && tokenLimit < 0 && requestReset == null && tokenReset == null;
    }
}
