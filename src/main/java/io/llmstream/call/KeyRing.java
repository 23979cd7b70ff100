package io.llmstream.call;

import io.llmstream.config.EndpointSettings;
import io.llmstream.config.Secret;

import java.util.concurrent.atomic.AtomicInteger;

/** The API keys of one endpoint, handed out in turn. */
final class KeyRing {
    private final EndpointSettings endpoint;
    private final AtomicInteger next = new AtomicInteger();

    KeyRing(EndpointSettings endpoint) {
        this.endpoint = endpoint;
    }

    /** The index of the key for the next attempt; -1 if the endpoint has no keys. */
    int nextIndex() {
        int size = endpoint.apiKeys().size();
        return size == 0 ? -1 : Math.floorMod(next.getAndIncrement(), size);
    }

    Secret key(int index) {
        return index < 0 ? null : endpoint.apiKeys().get(index);
    }

    String keyId(int index) {
        return index < 0 ? null : endpoint.keyId(index);
    }
}
