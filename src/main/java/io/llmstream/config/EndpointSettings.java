package io.llmstream.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An OpenAI-compatible API: OpenAI itself, Azure OpenAI, DashScope's compatible mode, vLLM, Ollama.
 * Requests go to {@code POST <base-url>/chat/completions}.
 */
public record EndpointSettings(
        String name,
        String baseUrl,
        List<Secret> apiKeys,
        AuthStyle auth,
        Map<String, String> headers,
        Map<String, String> query) implements Serializable {

    public static final Option<String> BASE_URL = Option.key("base-url").stringType().required()
            .mustBe(url -> url.startsWith("http://") || url.startsWith("https://"), "an http:// or https:// URL")
            .withDescription("The API's base URL, e.g. https://api.openai.com/v1.");
    public static final Option<List<String>> API_KEYS = Option.key("api-keys").type(ValueType.STRING_LIST)
            .defaultValue(List.of())
            .withDescription("API keys, from ${ENV_VAR} or ${file:/path}; none for servers without auth.");
    public static final Option<AuthStyle> AUTH = Option.key("auth").enumType(AuthStyle.class)
            .defaultValue(AuthStyle.BEARER)
            .withDescription("bearer (Authorization: Bearer <key>) or api-key (Azure's api-key header).");
    public static final Option<Map<String, String>> HEADERS = Option.key("headers").type(ValueType.STRING_MAP)
            .defaultValue(Map.of())
            .withDescription("Extra HTTP headers sent with every request.");
    public static final Option<Map<String, String>> QUERY = Option.key("query").type(ValueType.STRING_MAP)
            .defaultValue(Map.of())
            .withDescription("Query parameters added to every request, e.g. Azure's api-version.");

    /** How the key is sent. */
    public enum AuthStyle { BEARER, API_KEY }

    static EndpointSettings read(String name, ConfigSection section) {
        String baseUrl = section.get(BASE_URL);
        List<Secret> keys = new ArrayList<>();
        List<String> rawKeys = section.get(API_KEYS);
        for (int i = 0; i < rawKeys.size(); i++) {
            if (rawKeys.get(i).isBlank()) {
                throw new ConfigException(section.pathOf(API_KEYS.key()) + "[" + i + "] is empty");
            }
            keys.add(new Secret(rawKeys.get(i).strip()));
        }
        return new EndpointSettings(name, stripTrailingSlash(baseUrl), List.copyOf(keys), section.get(AUTH),
                section.get(HEADERS), section.get(QUERY));
    }

    /** A stable id for the i-th key (0-based) that can be logged: {@code openai#1}. */
    public String keyId(int index) {
        return name + "#" + (index + 1);
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
