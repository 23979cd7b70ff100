package io.llmstream.call;

import io.llmstream.call.http.SecretScrubber;
import io.llmstream.call.http.ServerProgress;
import io.llmstream.call.http.StreamSwitch;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.measure.TokenEstimator;

/**
 * Where a request goes: a model, its endpoint and keys, its budget, how to build its requests, whether
 * the endpoint streams, how long the model's first token may take, and what its server answered lately.
 */
public record Route(
        ModelSettings model,
        EndpointSettings endpoint,
        ModelDispatcher dispatcher,
        ChatRequestFactory requests,
        SecretScrubber scrubber,
        StreamSwitch stream,
        FirstTokenWait firstTokenWait,
        ServerProgress server,
        TokenEstimator tokens) {

    String name() {
        return model.name();
    }

    /** The completion tokens of an answer whose server reported no usage: an estimate. */
    int completionTokens(String content) {
        return content == null ? 0 : tokens.countText(content);
    }
}
