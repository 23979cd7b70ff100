package io.llmstream.watch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GiveUpRuleTest {
    private final GiveUpRule rule = new GiveUpRule(3);

    @Test
    void givesUpAfterTheGivenFailuresWithoutACheckpoint() {
        rule.failed(1_000);
        rule.failed(2_000);
        assertThat(rule.givesUp()).isFalse();
        rule.failed(4_000);
        assertThat(rule.givesUp()).isTrue();
        assertThat(rule.failuresInARow()).isEqualTo(3);
    }

    @Test
    void aCheckpointBetweenFailuresStartsTheCountAgain() {
        rule.failed(1_000);
        rule.failed(2_000);
        rule.checkpointCompleted(2_500);
        rule.failed(3_000);
        rule.failed(4_000);
        assertThat(rule.failuresInARow()).isEqualTo(2);
        assertThat(rule.givesUp()).isFalse();
    }

    @Test
    void aCheckpointSeenLateForgivesOnlyTheFailuresBeforeIt() {
        rule.failed(1_000);
        rule.failed(2_000);
        rule.failed(3_000);
        rule.checkpointCompleted(1_500);
        assertThat(rule.failuresInARow()).isEqualTo(2);
        rule.checkpointCompleted(1_200);
        assertThat(rule.failuresInARow()).as("an older checkpoint changes nothing").isEqualTo(2);
    }

    @Test
    void aFailureReportedLateButBeforeTheLatestCheckpointDoesNotCount() {
        rule.checkpointCompleted(5_000);
        rule.failed(4_000);
        assertThat(rule.failuresInARow()).isZero();
    }

    @Test
    void needsAtLeastOneFailure() {
        assertThatThrownBy(() -> new GiveUpRule(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("giveUpAfter must be at least 1, was 0");
    }
}
