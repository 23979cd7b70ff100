package io.llmstream.batch;

import io.llmstream.config.BatchLaneSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The enqueued-token limit: configured, learnt from the provider's refusals, and the waits after them. */
class EnqueuedTokensTest {
    private static EnqueuedTokens queue(long configured) {
        return new EnqueuedTokens(new BatchLaneSettings(50_000, Duration.ofMinutes(10), Duration.ofMinutes(1),
                Duration.ofHours(24), configured, false));
    }

    @Test
    void aRefusalThatNamesTheLimitCutsTheNextBatchesToIt() {
        EnqueuedTokens queue = queue(200_000);
        queue.add(60_000);
        queue.add(60_000);
        queue.release(60_000);
        long waitUntil = queue.refused("Enqueued token limit reached for gpt-4o-mini in organization org-x. "
                + "Limit: 100,000 enqueued tokens. Please try again once some in_progress batches have been completed.",
                60_000, 0);

        assertThat(waitUntil).as("it waits for the open batch instead").isZero();
        assertThat(queue.limit()).isEqualTo(100_000);
        assertThat(queue.blocked()).isTrue();
        queue.release(60_000);
        assertThat(queue.blocked()).as("the open batch ended").isFalse();
        assertThat(queue.fits(90_000, 10_000)).isTrue();
        assertThat(queue.fits(90_001, 10_000)).as("past the limit the provider named").isFalse();
    }

    @Test
    void aRefusalWithoutANumberShowsLessThanWhatWasOpenAndRefused() {
        EnqueuedTokens queue = queue(0);
        queue.add(50_000);
        queue.refused("queue full", 70_000, 0);

        assertThat(queue.limit()).isEqualTo(119_999);
        assertThat(queue.fits(69_999, 0)).isTrue();
        assertThat(queue.fits(70_000, 0)).isFalse();
    }

    @Test
    void withNothingOpenTheWaitDoublesFromThePollAndAnEndedBatchStartsItAgain() {
        EnqueuedTokens queue = queue(0);
        assertThat(queue.refused("Limit: 10", 20, 0)).isEqualTo(60_000);
        assertThat(queue.refused("Limit: 10", 20, 60_000)).isEqualTo(180_000);
        assertThat(queue.fits(0, 20)).as("a line alone always goes when nothing is open").isTrue();
        queue.batchEnded();
        assertThat(queue.refused("Limit: 10", 20, 200_000)).isEqualTo(260_000);
    }
}
