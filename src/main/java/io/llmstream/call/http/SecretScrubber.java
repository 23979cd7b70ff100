package io.llmstream.call.http;

import io.llmstream.config.ApiKey;
import io.llmstream.config.EndpointSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes API keys from text that came from a provider, before it goes into a dead letter: some
 * providers quote part of the key in an authentication error ("Incorrect API key provided: sk-ab***yz").
 */
public final class SecretScrubber {
    private static final Pattern KEY_LIKE = Pattern.compile("sk-[A-Za-z0-9_*\\-]{3,}");
    private static final String MASK = "[redacted]";

    private final List<String> secrets = new ArrayList<>();

    public SecretScrubber(EndpointSettings endpoint) {
        for (ApiKey key : endpoint.apiKeys()) {
            secrets.add(key.secret().reveal());
        }
    }

    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (String secret : secrets) {
            scrubbed = scrubbed.replace(secret, MASK);
        }
        return KEY_LIKE.matcher(scrubbed).replaceAll(MASK);
    }
}
