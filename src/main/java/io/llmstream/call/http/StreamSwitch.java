package io.llmstream.call.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How requests to an endpoint ask for a streamed answer. By default ({@code endpoints.<e>.stream}) with
 * {@code stream: true} and {@code stream_options: {include_usage: true}}. A server that refuses
 * {@code stream_options} with a 400 (older Azure API versions do) is asked without it from then on, its
 * usage then estimated; one that refuses {@code stream} itself is asked for plain answers. Each step is
 * one WARN line, rather than a failed prompt.
 */
public final class StreamSwitch {
    private static final Logger LOG = LoggerFactory.getLogger(StreamSwitch.class);

    /** What a request asks for. */
    public enum Mode {
        /** A stream with the usage in its last chunk. */
        STREAM_WITH_USAGE,
        /** A stream without {@code stream_options}. */
        STREAM,
        /** A plain answer. */
        PLAIN;

        public boolean streams() {
            return this != PLAIN;
        }
    }

    private final String endpoint;
    private final AtomicReference<Mode> mode;

    public StreamSwitch(String endpoint, boolean on) {
        this.endpoint = endpoint;
        this.mode = new AtomicReference<>(on ? Mode.STREAM_WITH_USAGE : Mode.PLAIN);
    }

    public Mode mode() {
        return mode.get();
    }

    /**
     * Whether a failed attempt made in {@code asked} mode was the server refusing what the mode asks for:
     * a 400 status line that names {@code stream_options} or {@code stream}. Steps down if so. An error
     * inside a 200 answer is not such a refusal: the server answered, and streams if asked to.
     */
    public boolean refused(Mode asked, AttemptOutcome outcome) {
        if (!asked.streams() || outcome.status() != 400 || outcome.message() == null
                || !outcome.message().startsWith("HTTP 400")) {
            return false;
        }
        String message = outcome.message().toLowerCase(Locale.ROOT);
        Mode next;
        if (asked == Mode.STREAM_WITH_USAGE && message.contains("stream_options")) {
            next = Mode.STREAM;
        } else if (message.contains("stream")) {
            next = Mode.PLAIN;
        } else {
            return false;
        }
        if (mode.compareAndSet(asked, next)) {
            LOG.warn("Endpoint {} refused a request with {} ({}): asking {} from now on.{} Set endpoints.{}.stream: "
                    + "false to skip the refusal.", endpoint, asked == Mode.STREAM_WITH_USAGE
                            ? "stream_options" : "stream: true", outcome.message(),
                    next == Mode.STREAM ? "for streams without usage (tokens are then estimated)" : "for plain answers",
                    next == Mode.PLAIN ? " A hung request is then noticed only after call.first-token-timeout." : "",
                    endpoint);
        }
        return true;
    }
}
