package io.llmstream.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An OpenAI-compatible API: OpenAI itself, Azure OpenAI, DashScope's compatible mode, vLLM, Ollama.
 * Requests go to {@code POST <base-url>/chat/completions}.
 */
public record EndpointSettings(
        String name,
        String baseUrl,
        List<ApiKey> apiKeys,
        AuthStyle auth,
        Map<String, String> headers,
        Map<String, String> query,
        int degradeAfter,
        double degradedRps,
        boolean stream) implements Serializable {

    public static final Option<String> BASE_URL = Option.key("base-url").stringType().required()
            .mustBe(url -> url.startsWith("http://") || url.startsWith("https://"), "an http:// or https:// URL")
            .withDescription("The API's base URL, e.g. https://api.openai.com/v1.");
    /** Documentation of the api-keys list, read item by item by {@link ApiKey#read}. */
    public static final String API_KEYS = "api-keys";
    public static final Option<AuthStyle> AUTH = Option.key("auth").enumType(AuthStyle.class)
            .defaultValue(AuthStyle.BEARER)
            .withDescription("bearer (Authorization: Bearer <key>) or api-key (Azure's api-key header).");
    public static final Option<Map<String, String>> HEADERS = Option.key("headers").type(ValueType.STRING_MAP)
            .defaultValue(Map.of())
            .mustBe(headers -> headers.keySet().stream().noneMatch("accept-encoding"::equalsIgnoreCase),
                    "without Accept-Encoding (answers are read uncompressed)")
            .withDescription("Extra HTTP headers sent with every request (not Accept-Encoding: answers are read "
                    + "uncompressed).");
    public static final Option<Map<String, String>> QUERY = Option.key("query").type(ValueType.STRING_MAP)
            .defaultValue(Map.of())
            .withDescription("Query parameters added to every request, e.g. Azure's api-version.");

    public static final Option<Integer> DEGRADE_AFTER = Option.key("degrade-after").intType().defaultValue(3)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Consecutive failures (5xx, timeouts, connection errors) that degrade a key.");
    public static final Option<Double> DEGRADED_RPS = Option.key("degraded-rps").doubleType().defaultValue(5.0)
            .mustBe(v -> v > 0, "> 0")
            .withDescription("Requests per second a degraded key may still send, until it succeeds again.");

    public static final Option<Boolean> STREAM = Option.key("stream").booleanType().defaultValue(true)
            .withDescription("Ask for streamed answers (server-sent events), so a hung request is noticed at "
                    + "its first token instead of at the attempt timeout. Servers that answer a streamed "
                    + "request with a plain body still work; one that refuses streaming with a 400 is asked "
                    + "without it from then on. false never asks.");

    /** How the key is sent. */
    public enum AuthStyle { BEARER, API_KEY }

    static EndpointSettings read(String name, ConfigSection section) {
        String baseUrl = section.get(BASE_URL);
        List<ApiKey> keys = new ArrayList<>();
        List<ConfigSection.Item> items = section.items(API_KEYS);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            ApiKey key = ApiKey.read(items.get(i), name + "#" + (i + 1));
            if (!ids.add(key.id())) {
                throw new ConfigException(items.get(i).path() + " has the id " + key.id()
                        + ", which another key of endpoints." + name + " has already");
            }
            keys.add(key);
        }
        return new EndpointSettings(name, stripTrailingSlash(baseUrl), List.copyOf(keys), section.get(AUTH),
                section.get(HEADERS), section.get(QUERY), section.get(DEGRADE_AFTER), section.get(DEGRADED_RPS),
                section.get(STREAM));
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** Never shows the keys. */
    @Override
    public String toString() {
        return "EndpointSettings[name=" + name + ", baseUrl=" + baseUrl + ", apiKeys=" + apiKeys.size()
                + ", auth=" + auth + ", headers=" + headers.keySet() + ", query=" + query + "]";
    }
}
