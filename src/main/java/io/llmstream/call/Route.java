package io.llmstream.call;

import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.ModelDispatcher;

/** Where a request goes: a model, its endpoint and keys, its budget, and how to build its requests. */
record Route(
        ModelSettings model,
        EndpointSettings endpoint,
        ModelDispatcher dispatcher,
        ChatRequestFactory requests,
        SecretScrubber scrubber) {

    String name() {
        return model.name();
    }
}
