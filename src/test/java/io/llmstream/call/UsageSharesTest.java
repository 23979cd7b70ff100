package io.llmstream.call;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class UsageSharesTest {

    @Test
    void splitsInProportionAndAddsUpExactly() {
        assertThat(UsageShares.split(100, new long[] {1, 1, 2})).containsExactly(25, 25, 50);
        long[] shares = UsageShares.split(10, new long[] {1, 1, 1});
        assertThat(shares).containsExactly(4, 3, 3);
        long[] uneven = UsageShares.split(997, new long[] {13, 7, 29, 1, 0});
        assertThat(Arrays.stream(uneven).sum()).isEqualTo(997);
        assertThat(uneven[4]).isZero();
    }

    @Test
    void sharesEquallyWhenNoWeightIsPositive() {
        assertThat(UsageShares.split(9, new long[] {0, 0, 0})).containsExactly(3, 3, 3);
        assertThat(UsageShares.split(0, new long[] {5, 5})).containsExactly(0, 0);
    }
}
