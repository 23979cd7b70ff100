package io.llmstream.call.backlog;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DeferralTest {

    @Test
    void holdsTheRecordsOfItsKeyGroupsFromItsFirstOffsetToItsLast() {
        Deferral deferral = Deferral.beginning("prompts", 0, "team-a", 0, 63, 100);
        deferral.leave(150);

        assertThat(deferral.holds(10, 100)).isTrue();
        assertThat(deferral.holds(63, 150)).isTrue();
        assertThat(deferral.holds(10, 99)).as("before it began").isFalse();
        assertThat(deferral.holds(10, 151)).as("not left yet").isFalse();
        assertThat(deferral.holds(64, 120)).as("another instance's key group").isFalse();
        assertThat(deferral.count).isEqualTo(2);
    }

    @Test
    void recordsPassedAreNotHeldAndItIsDoneOncePastItsLast() {
        Deferral deferral = Deferral.beginning("prompts", 0, "team-a", 0, 63, 100);
        deferral.leave(150);

        deferral.passed(120);
        assertThat(deferral.readFrom()).isEqualTo(121);
        assertThat(deferral.holds(10, 120)).isFalse();
        assertThat(deferral.done()).isFalse();
        deferral.passed(150);
        assertThat(deferral.done()).isTrue();
    }

    @Test
    void afterARescaleAnInstanceKeepsThePartInItsKeyGroups() {
        Deferral deferral = Deferral.beginning("prompts", 3, "team-a", 0, 63, 100);
        deferral.leave(199);
        deferral.count = 100;

        Deferral lower = deferral.within(new KeyGroupRange(0, 31));
        Deferral other = deferral.within(new KeyGroupRange(64, 127));

        assertThat(other).as("no key group in common").isNull();
        assertThat(lower.holds(31, 150)).isTrue();
        assertThat(lower.holds(32, 150)).isFalse();
        assertThat(lower.count).as("an estimate: half the key groups").isEqualTo(50);
        assertThat(deferral.within(new KeyGroupRange(0, 127)).count).as("all of it").isEqualTo(100);
    }

    @Test
    void aKeyGroupNoPartCoversBeginsASegmentOfItsOwnFromItsRecord() {
        Deferral restored = Deferral.beginning("prompts", 3, "team-a", 0, 63, 100).within(new KeyGroupRange(32, 95));
        restored.leave(180);
        int[] gap = restored.gapAround(80, new KeyGroupRange(32, 95));
        assertThat(gap).containsExactly(64, 95);

        restored.leaveFrom(gap[0], gap[1], 200);

        assertThat(restored.holds(40, 150)).as("the restored part, from 100").isTrue();
        assertThat(restored.holds(80, 150)).as("the new part, before its first record").isFalse();
        assertThat(restored.holds(80, 200)).isTrue();
        assertThat(restored.readFrom()).isEqualTo(100);
        restored.passed(199);
        assertThat(restored.holds(80, 200)).isTrue();
        assertThat(restored.done()).isFalse();
    }

    @Test
    void isAFlinkPojoForTheOperatorState() {
        assertThat(TypeInformation.of(Deferral.class)).isInstanceOf(PojoTypeInfo.class);
    }
}
