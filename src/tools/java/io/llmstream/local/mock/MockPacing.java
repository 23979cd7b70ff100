package io.llmstream.local.mock;

/**
 * When the parts of one answer go out, measured from the moment the answer starts (after any hang):
 * the whole answer at once, or a stream's first token and its later pieces. The base latency is the
 * time to the first token; {@code --ms-per-token} spreads the rest, as a model generates. A
 * {@code pause(ms=N)} directive holds the stream after its first piece, a {@code slow(ms=N)} one
 * spreads the pieces evenly over N ms.
 *
 * @param baseMs the request's base latency ({@link MockLatency#nextBaseMs()})
 * @param msPerToken {@code --ms-per-token}
 * @param pauseMs the pause after the first piece; 0 for none
 * @param slowMs the time from the first piece to the last; 0 for the per-token pace
 */
record MockPacing(double baseMs, double msPerToken, long pauseMs, long slowMs) {

    /** A stream's pieces carry about this many tokens each, as providers send a few tokens per chunk. */
    static final int TOKENS_PER_PIECE = 4;
    /** Huge answers get bigger pieces rather than more, so a long answer costs no more events than this. */
    static final int MAX_PIECES = 1024;
    /** A slow answer sends a piece at least this often, as a healthy generation keeps the stream alive. */
    static final long SLOW_MAX_GAP_MS = 200;

    private static final long NANOS_PER_MS = 1_000_000;

    /** The delay of an unstreamed answer: what the stream's last piece would take, as today's answers did. */
    long wholeNanos(long completionTokens) {
        if (slowMs > 0) {
            return nanos(Math.min(MockLatency.MAX_MS, baseMs + slowMs));
        }
        return nanos(Math.min(MockLatency.MAX_MS, baseMs + msPerToken * completionTokens)) + pauseMs * NANOS_PER_MS;
    }

    /** When the first token goes: the base latency. */
    long firstNanos() {
        return nanos(baseMs);
    }

    /**
     * How many pieces a stream of this answer has: a few tokens each, at most {@link #MAX_PIECES} and
     * at most one per character; a slow answer has enough to keep its gaps at most
     * min(N/10, {@value #SLOW_MAX_GAP_MS}) ms, empty pieces if need be.
     */
    int pieces(long completionTokens, int codePoints) {
        long pieces = (completionTokens + TOKENS_PER_PIECE - 1) / TOKENS_PER_PIECE;
        pieces = Math.max(1, Math.min(Math.min(pieces, MAX_PIECES), codePoints));
        if (slowMs > 0) {
            double gapMs = Math.min(slowMs / 10.0, SLOW_MAX_GAP_MS);
            pieces = Math.max(pieces, (long) Math.ceil(slowMs / gapMs) + 1);
        }
        return Math.toIntExact(pieces);
    }

    /**
     * When each of {@code pieces} pieces goes, the tokens shared out evenly among them: the first at
     * the base latency, each later one when its tokens are generated, or on the slow schedule.
     */
    long[] pieceNanos(int pieces, long completionTokens) {
        long[] at = new long[pieces];
        long firstTokens = completionTokens / pieces;
        for (int i = 0; i < pieces; i++) {
            if (i == 0) {
                at[i] = firstNanos();
            } else if (slowMs > 0) {
                at[i] = nanos(Math.min(MockLatency.MAX_MS, baseMs + (double) slowMs * i / (pieces - 1)));
            } else {
                long tokensSoFar = completionTokens * (i + 1) / pieces;
                double generatedMs = msPerToken * (tokensSoFar - firstTokens);
                at[i] = nanos(Math.min(MockLatency.MAX_MS, baseMs + generatedMs)) + pauseMs * NANOS_PER_MS;
            }
        }
        return at;
    }

    private static long nanos(double ms) {
        return (long) (ms * NANOS_PER_MS);
    }
}
