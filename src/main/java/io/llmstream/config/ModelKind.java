package io.llmstream.config;

/**
 * What a model does, and so which records it takes and which API it is called on: a chat model takes
 * {@code prompt} or {@code messages} and is asked at {@code /chat/completions}; an embedding model takes
 * {@code input} and is asked at {@code /embeddings}, several inputs per request.
 */
public enum ModelKind {
    CHAT,
    EMBEDDING
}
