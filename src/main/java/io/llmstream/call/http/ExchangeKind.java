package io.llmstream.call.http;

import io.llmstream.config.ModelSettings;

/**
 * Which API an attempt speaks: where it is sent under the endpoint's base URL and how a successful body
 * is read. Everything else about an attempt (keys, budgets, retries, timeouts, breakers) is the same.
 */
public enum ExchangeKind {
    /** {@code POST <base-url>/chat/completions}, streamed where the endpoint allows. */
    CHAT("/chat/completions"),
    /** {@code POST <base-url>/embeddings}, never streamed; the answer's vectors are read by index. */
    EMBEDDINGS("/embeddings");

    private final String path;

    ExchangeKind(String path) {
        this.path = path;
    }

    /** The path under the endpoint's base URL. */
    public String path() {
        return path;
    }

    static ExchangeKind of(ModelSettings model) {
        return model.isEmbedding() ? EMBEDDINGS : CHAT;
    }
}
