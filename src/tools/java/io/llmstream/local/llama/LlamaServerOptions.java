package io.llmstream.local.llama;

import io.llmstream.local.Ports;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How to start one {@link LlamaServer}: the model, the name it answers to, how many requests it serves at
 * once, and the optional API key, embeddings endpoint and Prometheus metrics.
 *
 * @param model the GGUF file
 * @param alias the model name the server reports and accepts
 * @param slots requests served at once ({@code -np}); more wait in the server's queue
 * @param contextSize tokens of context shared by all slots ({@code -c})
 * @param apiKey the key every request but {@code /health} must bring, if any
 * @param embeddings whether {@code /v1/embeddings} answers, mean-pooled; such a server (build 11669) answers
 *     chat as well, so one server can serve both
 * @param metrics whether {@code /metrics} answers
 */
public record LlamaServerOptions(Path model, String alias, int slots, int contextSize, Optional<String> apiKey,
        boolean embeddings, boolean metrics) {

    public LlamaServerOptions {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be at least 1, was " + slots);
        }
        if (contextSize < 64 * slots) {
            throw new IllegalArgumentException("contextSize must give each of the " + slots + " slots at least 64 "
                    + "tokens, was " + contextSize);
        }
    }

    /** Chat only, 2 slots, 4096 tokens of context, no key, metrics on. */
    public static LlamaServerOptions chat(Path model, String alias) {
        return new LlamaServerOptions(model, alias, 2, 4096, Optional.empty(), false, true);
    }

    public LlamaServerOptions withSlots(int slots) {
        return new LlamaServerOptions(model, alias, slots, contextSize, apiKey, embeddings, metrics);
    }

    public LlamaServerOptions withApiKey(String key) {
        return new LlamaServerOptions(model, alias, slots, contextSize, Optional.of(key), embeddings, metrics);
    }

    public LlamaServerOptions withEmbeddings(boolean on) {
        return new LlamaServerOptions(model, alias, slots, contextSize, apiKey, on, metrics);
    }

    public LlamaServerOptions withMetrics(boolean on) {
        return new LlamaServerOptions(model, alias, slots, contextSize, apiKey, embeddings, on);
    }

    /** The command-line arguments for a server on this loopback port, one CPU thread. */
    List<String> arguments(int port) {
        List<String> arguments = new ArrayList<>(List.of("-m", model.toString(), "--host", Ports.LOOPBACK,
                "--port", String.valueOf(port), "-t", "1", "-c", String.valueOf(contextSize),
                "-np", String.valueOf(slots), "--alias", alias));
        apiKey.ifPresent(key -> arguments.addAll(List.of("--api-key", key)));
        if (metrics) {
            arguments.add("--metrics");
        }
        if (embeddings) {
            arguments.addAll(List.of("--embeddings", "--pooling", "mean"));
        }
        return arguments;
    }

    @Override
    public String toString() {
        return "alias=" + alias + ", slots=" + slots + ", contextSize=" + contextSize + ", apiKey="
                + (apiKey.isPresent() ? "(set)" : "none") + ", embeddings=" + embeddings + ", metrics=" + metrics;
    }
}
