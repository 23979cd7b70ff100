package io.llmstream.local.mock;

import java.util.Random;

/**
 * Response latency: a log-normal base with the configured median and sigma, plus a cost per completion
 * token. Draws come from their own seeded stream in request order, so a run repeats exactly and
 * turning faults on or off does not change the latencies.
 */
final class MockLatency {

    /** A bound that keeps a wild draw from parking a response for hours. */
    static final double MAX_MS = 10 * 60 * 1000;
    /** Keeps this stream apart from the fault stream drawn from the same seed. */
    private static final long STREAM = 0x6c6174656e6379L;

    private final double medianMs;
    private final double sigma;
    private final double msPerToken;
    private final Random random;

    MockLatency(MockOptions options) {
        this.medianMs = options.latencyMs();
        this.sigma = options.latencySigma();
        this.msPerToken = options.msPerToken();
        this.random = new Random(options.seed() ^ STREAM);
    }

    /** The base latency of the next request, in milliseconds. */
    synchronized double nextBaseMs() {
        double z = random.nextGaussian();
        return medianMs == 0 ? 0 : Math.min(MAX_MS, medianMs * Math.exp(sigma * z));
    }

    /** The whole delay of a response with this base and completion. */
    long delayNanos(double baseMs, long completionTokens) {
        return (long) (Math.min(MAX_MS, baseMs + msPerToken * completionTokens) * 1_000_000);
    }
}
