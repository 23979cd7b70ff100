package io.llmstream.local.mock;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.HexFormat;
import java.util.Set;

/**
 * Checks the API key of a request the way OpenAI and Azure OpenAI take it ({@code Authorization:
 * Bearer KEY} or {@code api-key: KEY}) and names keys by fingerprint, so no key ever reaches a log
 * line, a stats snapshot or an error body.
 */
final class MockAuth {

    static final String AZURE_KEY_HEADER = "api-key";
    private static final String BEARER = "bearer ";

    private final Set<String> accepted;
    private final Set<String> revoked;

    MockAuth(MockOptions options) {
        this.accepted = options.apiKeys();
        this.revoked = options.revokedKeys();
    }

    /** The outcome of checking a request: a key fingerprint, or the error to answer with. */
    record Result(String fingerprint, MockErrors.Error error) {
        boolean ok() {
            return error == null;
        }
    }

    Result check(HttpHeaders headers) {
        String key = keyOf(headers);
        if (key == null) {
            return new Result(null, MockErrors.missingKey());
        }
        String fingerprint = fingerprint(key);
        if (revoked.contains(key)) {
            return new Result(fingerprint, MockErrors.revokedKey(fingerprint));
        }
        if (!accepted.isEmpty() && !accepted.contains(key)) {
            return new Result(fingerprint, MockErrors.invalidKey(fingerprint));
        }
        return new Result(fingerprint, null);
    }

    /** The key of a request, or null when it carries none. */
    static String keyOf(HttpHeaders headers) {
        String authorization = headers.get("authorization");
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String key = authorization.substring(BEARER.length()).trim();
            if (!key.isEmpty()) {
                return key;
            }
        }
        String azure = headers.get(AZURE_KEY_HEADER);
        return azure == null || azure.isBlank() ? null : azure.trim();
    }

    /** {@code key-} and the first 8 hex digits of the key's SHA-256: stable, short and not the key. */
    static String fingerprint(String key) {
        return "key-" + HexFormat.of().formatHex(MockAnswers.sha256(String.valueOf(key)), 0, 4);
    }
}
