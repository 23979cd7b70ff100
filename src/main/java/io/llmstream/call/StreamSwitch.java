package io.llmstream.call;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether requests to an endpoint ask for a streamed answer. On by default ({@code endpoints.<e>.stream});
 * a server that refuses {@code stream}/{@code stream_options} with a 400 is asked without them from then
 * on, with one WARN line, rather than failing every prompt.
 */
final class StreamSwitch {
    private static final Logger LOG = LoggerFactory.getLogger(StreamSwitch.class);

    private final String endpoint;
    private final AtomicBoolean on;

    StreamSwitch(String endpoint, boolean on) {
        this.endpoint = endpoint;
        this.on = new AtomicBoolean(on);
    }

    boolean isOn() {
        return on.get();
    }

    /**
     * Whether a failed attempt of a streamed request was the server refusing to stream: a 400 that names
     * streaming. Turns streaming off for the endpoint if so.
     */
    boolean refusedStreaming(AttemptOutcome outcome) {
        if (outcome.status() != 400 || outcome.message() == null
                || !outcome.message().toLowerCase(java.util.Locale.ROOT).contains("stream")) {
            return false;
        }
        if (on.compareAndSet(true, false)) {
            LOG.warn("Endpoint {} refused a streamed request ({}): asking it without streaming from now on; a hung "
                    + "request is then noticed only after call.first-token-timeout. Set endpoints.{}.stream: false "
                    + "to skip the refusal.", endpoint, outcome.message(), endpoint);
        }
        return true;
    }
}
