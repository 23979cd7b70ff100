package io.llmstream.limit;

/**
 * The state of one model's budget: for each limit, the theoretical arrival time (TAT) of GCRA, in
 * epoch microseconds. A TAT in the past means the budget is full; state that old carries no
 * information and is cleared.
 *
 * @param requestTatMicros TAT of the requests-per-minute limit
 * @param tokenTatMicros TAT of the tokens-per-minute limit
 * @param cleanupTimerMillis the pending cleanup timer, 0 if none
 */
public record PacingBudget(long requestTatMicros, long tokenTatMicros, long cleanupTimerMillis) {

    /** A full budget. */
    public static final PacingBudget FULL = new PacingBudget(0, 0, 0);

    /** The instant at which every limit's budget is full again. */
    public long fullAtMicros() {
        return Math.max(requestTatMicros, tokenTatMicros);
    }

    PacingBudget withCleanupTimer(long timerMillis) {
        return new PacingBudget(requestTatMicros, tokenTatMicros, timerMillis);
    }
}
