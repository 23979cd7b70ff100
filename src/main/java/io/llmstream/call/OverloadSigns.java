package io.llmstream.call;

import io.llmstream.call.http.AttemptExchange;
import io.llmstream.call.http.AttemptOutcome;
import io.llmstream.record.ErrorKind;

/** What an attempt tells a model's concurrency limit about the server's load. */
final class OverloadSigns {
    private OverloadSigns() {}

    /**
     * The signs that a server has more than it can take: 429 and 503 (servers and gateways that shed load say
     * so), a connection refused or reset before any answer, and a server that sent nothing to any request for
     * a whole first-token wait. A 500, a malformed answer or a refused prompt says nothing about load.
     */
    static boolean shown(AttemptExchange exchange, AttemptOutcome outcome) {
        if (exchange.staleConnection()) {
            return false;
        }
        return outcome.status() == 429 && outcome.kind() == ErrorKind.RATE_LIMITED || outcome.status() == 503
                || outcome.kind() == ErrorKind.CONNECTION && outcome.status() == 0 || exchange.serverSilent();
    }
}
