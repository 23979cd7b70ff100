package io.llmstream.spend;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AllowancesTest {
    private static final long DAY = 20_000;
    private final List<Sent> sent = new ArrayList<>();

    private record Sent(int subtask, SpendEvent event) {}

    private Allowances allowances(long cap, int subtasks) {
        return new Allowances(Map.of("d", cap), subtasks, (subtask, event) -> sent.add(new Sent(subtask, event)));
    }

    private static SpendEvent.Reclaim reclaim() {
        return new SpendEvent.Reclaim("d", DAY);
    }

    @Test
    void grantsAtLeastWhatIsAskedAndMoreWhileMoneyIsPlentiful() {
        Allowances allowances = allowances(1_000_000, 2);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 10), 0);
        // A quarter per instance of what is free: 1,000,000 / 8.
        assertThat(sent).containsExactly(new Sent(0, new SpendEvent.Grant("d", DAY, 125_000, false)));
        assertThat(allowances.outstanding("d", DAY)).isEqualTo(125_000);
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 500_000), 0);
        assertThat(sent.get(1)).isEqualTo(new Sent(1, new SpendEvent.Grant("d", DAY, 500_000, false)));
    }

    @Test
    void aShortCapPoolsWhatEveryInstanceHoldsBeforeItAnswers() {
        Allowances allowances = allowances(1_000, 3);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 900), 0);
        assertThat(sent).containsExactly(new Sent(0, new SpendEvent.Grant("d", DAY, 900, false)));
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 200), 0);
        assertThat(sent.subList(1, 4)).containsExactly(new Sent(0, reclaim()), new Sent(1, reclaim()),
                new Sent(2, reclaim()));
        // A second ask joins the round.
        allowances.ask(2, new SpendEvent.Ask("d", DAY, 50), 0);
        allowances.givenBack(0, new SpendEvent.GiveBack("d", DAY, 150, 700, 0), 0);
        allowances.givenBack(1, new SpendEvent.GiveBack("d", DAY, 0, 0, 200), 0);
        assertThat(sent).hasSize(4);
        // Instance 2 gives back the 30 it held towards its next request, which now needs all its 80.
        allowances.givenBack(2, new SpendEvent.GiveBack("d", DAY, 30, 0, 80), 0);
        assertThat(sent.subList(4, 6)).containsExactly(new Sent(1, new SpendEvent.Grant("d", DAY, 200, false)),
                new Sent(2, new SpendEvent.Grant("d", DAY, 80, false)));
        assertThat(allowances.outstanding("d", DAY)).isEqualTo(1_000);
        assertThat(allowances.reclaiming()).isFalse();
    }

    @Test
    void anAskWaitsWhileRequestsInFlightCouldLeaveRoomAndIsRefusedWhenNoneCan() {
        Allowances allowances = allowances(1_000, 2);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 1_000), 0);
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 300), 0);
        allowances.givenBack(0, new SpendEvent.GiveBack("d", DAY, 0, 1_000, 0), 10);
        allowances.givenBack(1, new SpendEvent.GiveBack("d", DAY, 0, 0, 300), 10);
        assertThat(sent).as("a grant and a round, no answer yet: 1,000 reserved in flight may come back").hasSize(3);
        allowances.tick(10 + Allowances.RETRY_MILLIS - 1);
        assertThat(sent).hasSize(3);
        allowances.tick(10 + Allowances.RETRY_MILLIS);
        assertThat(sent.subList(3, 5)).as("the next round").containsExactly(new Sent(0, reclaim()),
                new Sent(1, reclaim()));
        // The request in flight cost 800: 200 came back, 800 are spent for good.
        allowances.givenBack(0, new SpendEvent.GiveBack("d", DAY, 200, 0, 0), 300);
        allowances.givenBack(1, new SpendEvent.GiveBack("d", DAY, 0, 0, 300), 300);
        assertThat(sent.get(5)).as("200 left, nothing in flight: 300 can never fit")
                .isEqualTo(new Sent(1, new SpendEvent.Grant("d", DAY, 0, true)));
        assertThat(allowances.reclaiming()).isFalse();
    }

    @Test
    void aRoundEndsWithoutTheInstancesThatDoNotReply() {
        Allowances allowances = allowances(100, 2);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 100), 0);
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 10), 1_000);
        allowances.givenBack(1, new SpendEvent.GiveBack("d", DAY, 0, 0, 10), 1_000);
        allowances.tick(1_000 + Allowances.ROUND_MILLIS - 1);
        assertThat(sent).hasSize(3);
        allowances.tick(1_000 + Allowances.ROUND_MILLIS);
        assertThat(sent.get(3)).isEqualTo(new Sent(1, new SpendEvent.Grant("d", DAY, 0, true)));
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 10), 9_000);
        allowances.givenBack(1, new SpendEvent.GiveBack("d", DAY, 0, 0, 10), 9_000);
        allowances.subtaskGone(0, 9_000);
        assertThat(sent.get(sent.size() - 1)).isEqualTo(new Sent(1, new SpendEvent.Grant("d", DAY, 0, true)));
    }

    @Test
    void aTenantWithoutCapHasNothing() {
        Allowances allowances = allowances(100, 1);
        allowances.ask(0, new SpendEvent.Ask("other", DAY, 1), 0);
        allowances.givenBack(0, new SpendEvent.GiveBack("other", DAY, 0, 0, 1), 0);
        assertThat(sent).containsExactly(new Sent(0, new SpendEvent.Reclaim("other", DAY)),
                new Sent(0, new SpendEvent.Grant("other", DAY, 0, true)));
    }

    @Test
    void eachDayHasTheWholeCapAndTheAccountSurvivesASnapshot() {
        Allowances allowances = allowances(1_000, 1);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 1_000), 0);
        allowances.ask(0, new SpendEvent.Ask("d", DAY + 1, 400), 0);
        assertThat(sent.get(1)).isEqualTo(new Sent(0, new SpendEvent.Grant("d", DAY + 1, 400, false)));
        byte[] state = allowances.snapshot();

        Allowances restored = allowances(1_000, 2);
        restored.restore(state, 2);
        assertThat(restored.outstanding("d", DAY)).isEqualTo(1_000);
        assertThat(restored.outstanding("d", DAY + 1)).isEqualTo(400);
        restored.ask(1, new SpendEvent.Ask("d", DAY + 2, 1), 0);
        assertThat(restored.outstanding("d", DAY)).as("days before yesterday are forgotten").isZero();
        restored.restore(null, 2);
        assertThat(restored.outstanding("d", DAY + 1)).isZero();
    }

    @Test
    void anInstanceRestartedAloneHoldsWhatItHeldAtItsCheckpointAndTheOthersKeepTheirs() {
        Allowances allowances = allowances(10_000, 2);
        allowances.ask(0, new SpendEvent.Ask("d", DAY, 1_000), 0);
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 2_000), 0);
        long atCheckpoint0 = granted(0);
        long atCheckpoint1 = granted(1);
        byte[] checkpoint = allowances.snapshot();
        // After the checkpoint instance 0 gives 500 back and instance 1 gets more.
        allowances.givenBack(0, new SpendEvent.GiveBack("d", DAY, 500, 0, 0), 0);
        allowances.ask(1, new SpendEvent.Ask("d", DAY, 700), 0);
        long later1 = atCheckpoint1 + granted(2);
        assertThat(allowances.outstanding("d", DAY)).isEqualTo(atCheckpoint0 - 500 + later1);

        allowances.resetSubtask(0, checkpoint, 0);
        assertThat(allowances.outstanding("d", DAY)).as("0 holds its checkpoint's again: its give-back is undone")
                .isEqualTo(atCheckpoint0 + later1);
        allowances.resetSubtask(1, null, 0);
        assertThat(allowances.outstanding("d", DAY)).as("1 restarts without state").isEqualTo(atCheckpoint0);
    }

    /** What the n-th message sent granted. */
    private long granted(int index) {
        return ((SpendEvent.Grant) sent.get(index).event()).nanos();
    }
}
