package io.llmstream.call.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectionGateTest {
    @Test
    void queuesBeyondItsPermitsAndHandsFreedPermitsOn() {
        ConnectionGate gate = new ConnectionGate(2);
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int task = i;
            gate.submit(() -> ran.add(task));
        }
        assertThat(ran).containsExactly(0, 1);
        assertThat(gate.waiting()).isEqualTo(3);

        gate.release();
        assertThat(ran).containsExactly(0, 1, 2);
        assertThat(gate.inUse()).isEqualTo(2);
    }

    @Test
    void newPermitsStartWaitingTasksAndFewerLetTheInUseDrain() {
        ConnectionGate gate = new ConnectionGate(0);
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int task = i;
            gate.submit(() -> ran.add(task));
        }
        assertThat(ran).isEmpty();

        gate.addPermits(3);
        assertThat(ran).containsExactly(0, 1, 2);
        gate.addPermits(-2);
        gate.release();
        gate.release();
        assertThat(ran).as("no permit left for the fourth").containsExactly(0, 1, 2);
        assertThat(gate.inUse()).isEqualTo(1);
        gate.release();
        assertThat(ran).containsExactly(0, 1, 2, 3);
    }
}
