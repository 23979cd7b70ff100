package io.llmstream.call;

import io.llmstream.config.ModelSettings;
import io.llmstream.record.LlmRequest;

/** What a request costs against a TPM limit. */
final class Charges {
    private Charges() {}

    /**
     * A chat request's prompt estimate plus its completion budget ({@code max_tokens} or the model's default),
     * as providers count at admission; an embedding input's tokens alone, as it has no completion.
     */
    static long tokens(LlmRequest request, ModelSettings model) {
        return model.isEmbedding() ? request.promptTokens() : request.tokenCost(model.defaultMaxTokens());
    }
}
