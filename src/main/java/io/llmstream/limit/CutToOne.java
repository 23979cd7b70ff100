package io.llmstream.limit;

/**
 * A cut for queueing down to one in flight, made in rounds too small to have a rate of their own: judged once
 * {@value ConcurrencyLimit#MIN_THROUGHPUT_EVENTS} answers at one are in, by their rate against the rate of the
 * round before the cut. A server of two slots whose first tokens come later when both work (llama-server
 * computes them side by side) completes half as much at one; a server of one slot as much. Not thread-safe.
 */
final class CutToOne {
    /** The cut is undone when the answers at one come at less than this share of the rate before it. */
    static final double KEPT = 0.75;

    /** The limit the cut came from; 0 when no cut is judged. */
    private int from;
    private double rateBefore;
    private int answers;
    private int intervals;
    private long micros;

    /** Whether a cut is being judged. */
    boolean pending() {
        return from > 0;
    }

    /** A cut from {@code before} to one, after a round whose rate was {@code rateBefore}. */
    void cut(int before, double roundRate) {
        from = before;
        rateBefore = roundRate;
        answers = 0;
        intervals = 0;
        micros = 0;
    }

    /** Stops judging: the limit moved from one, or the round says nothing about the rate. */
    void forget() {
        from = 0;
    }

    /**
     * Counts a round of {@code events} answers at one, over {@code roundMicros} from its first to its last;
     * returns the limit to go back to when enough are in and they came too slowly, else 0.
     */
    int judge(int events, long roundMicros, boolean heldBack, int minEvents) {
        answers += events;
        intervals += events - 1;
        micros += roundMicros;
        if (answers < minEvents) {
            return 0;
        }
        boolean costRate = heldBack && micros > 0 && intervals * 1e6 / micros < KEPT * rateBefore;
        int back = costRate ? from : 0;
        from = 0;
        return back;
    }
}
