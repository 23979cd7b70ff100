package io.llmstream.call;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class FirstTokenWaitTest {
    @Test
    void waitsTheMaximumUntilTheModelHasAnsweredEnough() {
        FirstTokenWait wait = new FirstTokenWait(Duration.ofSeconds(60));
        for (int i = 0; i < 19; i++) {
            wait.record(300);
        }

        assertThat(wait.current()).isEqualTo(Duration.ofSeconds(60));
        wait.record(300);
        assertThat(wait.current()).isEqualTo(Duration.ofMillis(2000));
    }

    @Test
    void followsFourTimesTheRecentP99() {
        FirstTokenWait wait = new FirstTokenWait(Duration.ofSeconds(60));
        for (int i = 0; i < 200; i++) {
            wait.record(i < 197 ? 500 : 3000);
        }

        assertThat(wait.current()).as("4 x p99 (3000 ms)").isEqualTo(Duration.ofSeconds(12));
        for (int i = 0; i < 200; i++) {
            wait.record(800);
        }
        assertThat(wait.current()).as("old answers leave the window").isEqualTo(Duration.ofMillis(3200));
    }

    @Test
    void aSlowModelRaisesItsWaitUpToTheMaximum() {
        FirstTokenWait wait = new FirstTokenWait(Duration.ofSeconds(60));
        for (int i = 0; i < 50; i++) {
            wait.record(40_000);
        }

        assertThat(wait.current()).isEqualTo(Duration.ofSeconds(60));
    }
}
