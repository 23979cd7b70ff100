package io.llmstream.limit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Weighted fair shares among tenants waiting for one model's budget. */
class TenantQueueTest {
    private static final Ticket.Admission NOTHING = new Ticket.Admission() {
        @Override
        public void admitted(int keyIndex, long waitedMicros) {}

        @Override
        public void refused(String reason) {}
    };
    private long sequence;

    private Ticket ticket(String tenant, double weight, int priority, long tokens, long enqueuedMicros) {
        Ticket ticket = new Ticket(priority, 10, 60_000_000, tokens, enqueuedMicros, 0, NOTHING)
                .forTenant(tenant, weight);
        ticket.sequence = sequence++;
        return ticket;
    }

    /** Lets out {@code count} requests and counts them and their tokens by tenant. */
    private static Map<String, long[]> letOut(TenantQueue queue, int count) {
        Map<String, long[]> out = new HashMap<>();
        for (int i = 0; i < count; i++) {
            Ticket next = queue.peek();
            queue.letOut(next);
            long[] seen = out.computeIfAbsent(next.tenant, t -> new long[2]);
            seen[0]++;
            seen[1] += next.tokens;
        }
        return out;
    }

    @ParameterizedTest(name = "weights {0}, {1}, {2}")
    @CsvSource({"1, 1, 2", "1, 1, 1", "1, 3, 6", "0.5, 1, 4"})
    void tenantsThatAllWaitGetTheBudgetInProportionToTheirWeights(double a, double b, double c) {
        TenantQueue queue = new TenantQueue();
        // a's backlog came first, long before the others'.
        for (int i = 0; i < 3000; i++) {
            queue.add(ticket("a", a, 0, 100, i));
        }
        for (int i = 0; i < 3000; i++) {
            queue.add(ticket("b", b, 0, 100, 10_000 + i));
            queue.add(ticket("c", c, 0, 100, 10_000 + i));
        }

        Map<String, long[]> out = letOut(queue, 1200);
        double total = a + b + c;
        assertThat(out.get("a")[0] / 1200.0).isCloseTo(a / total, within(0.01));
        assertThat(out.get("b")[0] / 1200.0).isCloseTo(b / total, within(0.01));
        assertThat(out.get("c")[0] / 1200.0).isCloseTo(c / total, within(0.01));
    }

    @Test
    void sharesAreOfTokensSoATenantOfLongPromptsSendsFewerRequests() {
        TenantQueue queue = new TenantQueue();
        for (int i = 0; i < 1000; i++) {
            queue.add(ticket("long", 1, 0, 1000, i));
            queue.add(ticket("short", 1, 0, 100, i));
        }

        Map<String, long[]> out = letOut(queue, 550);
        assertThat(out.get("long")[1]).as("tokens").isCloseTo(out.get("short")[1], within(1000L));
        assertThat(out.get("short")[0]).as("requests").isEqualTo(10 * out.get("long")[0]);
    }

    @Test
    void aTenantAloneGetsEverythingAndNoCreditForTheTimeItDidNotWait() {
        TenantQueue queue = new TenantQueue();
        for (int i = 0; i < 100; i++) {
            queue.add(ticket("a", 1, 0, 100, i));
        }
        assertThat(letOut(queue, 100).get("a")[0]).isEqualTo(100);

        for (int i = 0; i < 100; i++) {
            queue.add(ticket("a", 1, 0, 100, 1000 + i));
            queue.add(ticket("b", 1, 0, 100, 1000 + i));
        }
        Map<String, long[]> out = letOut(queue, 100);
        assertThat(out.get("a")[0]).as("a's earlier use costs it nothing now, b gets no head start").isEqualTo(50);
    }

    @Test
    void withinATenantPriorityAndAgeingOrderTheRequests() {
        TenantQueue queue = new TenantQueue();
        Ticket old = ticket("a", 1, 0, 100, 0);
        Ticket urgent = ticket("a", 1, 5, 100, 1_000_000);
        queue.add(old);
        queue.add(urgent);
        queue.add(ticket("b", 1, 0, 100, 0));

        Ticket first = queue.peek();
        queue.letOut(first);
        Ticket second = queue.peek();
        queue.letOut(second);
        Ticket third = queue.peek();
        assertThat(java.util.List.of(first, second, third)).filteredOn(t -> t.tenant.equals("a"))
                .containsExactly(urgent, old);
    }

    @Test
    void aTenantHeldBackByItsOwnCapLeavesItsTurnToTheOthers() {
        TenantQueue queue = new TenantQueue();
        for (int i = 0; i < 10; i++) {
            queue.add(ticket("capped", 4, 0, 100, i));
            queue.add(ticket("other", 1, 0, 100, i));
        }
        for (int i = 0; i < 10; i++) {
            Ticket next = queue.peek(ticket -> !ticket.tenant.equals("capped"));
            assertThat(next.tenant).isEqualTo("other");
            queue.letOut(next);
        }
        assertThat(queue.peek(ticket -> !ticket.tenant.equals("capped"))).isNull();
        assertThat(queue.size()).isEqualTo(10);
    }
}
