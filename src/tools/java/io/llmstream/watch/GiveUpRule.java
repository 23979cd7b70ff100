package io.llmstream.watch;

import java.util.ArrayList;
import java.util.List;

/**
 * When a bounded run stops trying: after {@code job.restart.give-up-after} failures in a row with no
 * checkpoint completed in between. A completed checkpoint is progress that a restart keeps, so failures
 * before it do not count; a job that fails every time before its first checkpoint would restart forever
 * and never reach the end it is bounded by.
 *
 * <p>Times are the JobManager's milliseconds, so that a failure and a checkpoint reported in the same poll
 * are still ordered.
 */
public final class GiveUpRule {
    private final int giveUpAfter;
    private final List<Long> failuresSinceProgress = new ArrayList<>();
    private long lastCheckpointAt = Long.MIN_VALUE;

    public GiveUpRule(int giveUpAfter) {
        if (giveUpAfter < 1) {
            throw new IllegalArgumentException("giveUpAfter must be at least 1, was " + giveUpAfter);
        }
        this.giveUpAfter = giveUpAfter;
    }

    /** A failure at this time. */
    public void failed(long at) {
        if (at > lastCheckpointAt) {
            failuresSinceProgress.add(at);
        }
    }

    /** The latest checkpoint completed at this time; failures up to it are forgiven. */
    public void checkpointCompleted(long at) {
        if (at > lastCheckpointAt) {
            lastCheckpointAt = at;
            failuresSinceProgress.removeIf(failure -> failure <= at);
        }
    }

    /** Failures since the latest completed checkpoint. */
    public int failuresInARow() {
        return failuresSinceProgress.size();
    }

    public boolean givesUp() {
        return failuresSinceProgress.size() >= giveUpAfter;
    }

    public int giveUpAfter() {
        return giveUpAfter;
    }
}
