package io.llmstream.local.mock;

import java.util.Random;

/**
 * Random faults at seeded rates and the outage window. One fault is drawn for every chat request in
 * arrival order, whatever becomes of the request, so the same seed and the same request order give
 * the same faults even when limits or directives change which requests reach them.
 */
final class MockFaults {

    /**
     * What happens to an admitted request instead of a normal answer: a 5xx, a TCP reset, a hang (not
     * a byte, forever or for {@code --hang-for}), or a broken 200 (a cut or choiceless body; a stream
     * that breaks off or carries a chunk that is not JSON).
     */
    enum Kind { NONE, ERROR, RESET, HANG, MALFORMED }

    /** A drawn fault; {@code status} is the 5xx of an {@link Kind#ERROR}, {@code variant} picks the body of a malformed one. */
    record Fault(Kind kind, int status, int variant) {
        static final Fault NONE = new Fault(Kind.NONE, 0, 0);
    }

    private static final int[] ERROR_STATUSES = {500, 502, 503};

    private final double errorRate;
    private final double resetRate;
    private final double hangRate;
    private final double malformedRate;
    private final long outageStartNanos;
    private final long outageEndNanos;
    private final Random random;

    MockFaults(MockOptions options) {
        this.errorRate = options.errorRate();
        this.resetRate = options.resetRate();
        this.hangRate = options.hangRate();
        this.malformedRate = options.malformedRate();
        this.outageStartNanos = options.outageStart().toNanos();
        this.outageEndNanos = options.outageDuration().isZero()
                ? outageStartNanos
                : outageStartNanos + options.outageDuration().toNanos();
        this.random = new Random(options.seed());
    }

    /** The fault of the next request. */
    synchronized Fault next() {
        double draw = random.nextDouble();
        int pick = random.nextInt(ERROR_STATUSES.length);
        if (draw < errorRate) {
            return new Fault(Kind.ERROR, ERROR_STATUSES[pick], 0);
        }
        draw -= errorRate;
        if (draw < resetRate) {
            return new Fault(Kind.RESET, 0, 0);
        }
        draw -= resetRate;
        if (draw < hangRate) {
            return new Fault(Kind.HANG, 0, 0);
        }
        draw -= hangRate;
        if (draw < malformedRate) {
            return new Fault(Kind.MALFORMED, 0, pick % 2);
        }
        return Fault.NONE;
    }

    /** Whether the server, started {@code sinceStartNanos} ago, is inside its outage window. */
    boolean inOutage(long sinceStartNanos) {
        return sinceStartNanos >= outageStartNanos && sinceStartNanos < outageEndNanos;
    }
}
