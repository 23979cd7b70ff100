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

    @Test
    void theP99IsTheRankOfASortedWindowForEveryCountAndMix() {
        java.util.Random random = new java.util.Random(7);
        for (int run = 0; run < 200; run++) {
            FirstTokenWait wait = new FirstTokenWait(Duration.ofHours(1));
            java.util.ArrayDeque<Long> window = new java.util.ArrayDeque<>();
            int answers = 20 + random.nextInt(400);
            int spread = 1 + random.nextInt(5_000);
            for (int i = 1; i <= answers; i++) {
                long millis = 600 + random.nextInt(spread);
                wait.record(millis);
                window.addLast(millis);
                if (window.size() > FirstTokenWait.WINDOW) {
                    window.removeFirst();
                }
                if (i == 20 || (i > 20 && (i - 20) % 10 == 0)) {
                    long[] sorted = window.stream().mapToLong(Long::longValue).sorted().toArray();
                    long p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
                    assertThat(wait.current()).as("run %d after %d answers", run, i)
                            .isEqualTo(Duration.ofMillis(4 * p99));
                }
            }
        }
    }
}
