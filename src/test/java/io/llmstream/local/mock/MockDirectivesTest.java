package io.llmstream.local.mock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static io.llmstream.local.mock.MockDirectives.Action;
import static io.llmstream.local.mock.MockDirectives.Step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The directive grammar and its per-prompt progress, without a server. */
class MockDirectivesTest {

    @Test
    void parsesStepsCountsAndParameters() {
        List<Step> steps = MockDirectives.parse("please [[mock:429x2(retry-after=2;retry-after-ms=300),500,"
                + "reset, hangx*, insufficient_quota(retry-after=date+3s), context_length_exceeded, malformed,"
                + "no_choices, okx3, 503(retry-after=1)x4]] thanks");

        assertThat(steps).containsExactly(
                new Step(Action.STATUS, 429, 2, 2L, null, 300L),
                new Step(Action.STATUS, 500, 1, null, null, null),
                new Step(Action.RESET, 0, 1, null, null, null),
                new Step(Action.HANG, 0, -1, null, null, null),
                new Step(Action.INSUFFICIENT_QUOTA, 0, 1, null, 3L, null),
                new Step(Action.CONTEXT_LENGTH_EXCEEDED, 0, 1, null, null, null),
                new Step(Action.MALFORMED, 0, 1, null, null, null),
                new Step(Action.NO_CHOICES, 0, 1, null, null, null),
                new Step(Action.OK, 0, 3, null, null, null),
                new Step(Action.STATUS, 503, 4, 1L, null, null));
        assertThat(MockDirectives.parse("no directive here")).isEmpty();
    }

    @Test
    void parsesErrorsSentInsideA200Answer() {
        assertThat(MockDirectives.parse("[[mock:flagged(in-200)x*, 429(in-200;retry-after=1), flagged]]")).containsExactly(
                new Step(Action.FLAGGED, 0, -1, null, null, null, null, null, true),
                new Step(Action.STATUS, 429, 1, 1L, null, null, null, null, true),
                new Step(Action.FLAGGED, 0, 1, null, null, null, null, null, false));
    }

    @Test
    void parsesTheStepsThatShapeAnAnswer() {
        List<Step> steps = MockDirectives.parse("[[mock:hang(ms=1500), hang, break, pause(ms=300)x2,"
                + " slow(ms=5000), long(chars=2000000)x*]]");

        assertThat(steps).containsExactly(
                new Step(Action.HANG, 0, 1, null, null, null, 1500L, null),
                new Step(Action.HANG, 0, 1, null, null, null, null, null),
                new Step(Action.BREAK, 0, 1, null, null, null, null, null),
                new Step(Action.PAUSE, 0, 2, null, null, null, 300L, null),
                new Step(Action.SLOW, 0, 1, null, null, null, 5000L, null),
                new Step(Action.LONG, 0, -1, null, null, null, null, 2_000_000L));
    }

    @Test
    void answersAreChargedAndRefusalsAreNot() {
        List<Step> steps = MockDirectives.parse("[[mock:ok,hang(ms=1),break,pause(ms=1),slow(ms=1),long(chars=1),"
                + "hang,reset,500,malformed,no_choices,context_length_exceeded,insufficient_quota]]");

        assertThat(steps).extracting(Step::charged)
                .containsExactly(true, true, true, true, true, true, false, false, false, false, false, false, false);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[[mock:teapot]]           | invalid mock directive [[mock:teapot]]: unknown action 'teapot'; use a status 400-599, ok, reset, hang, malformed, no_choices, context_length_exceeded, insufficient_quota, flagged, closes, break, pause, slow, long, not_json, off_schema, no_vector or dup_index",
        "[[mock:200]]              | invalid mock directive [[mock:200]]: status 200 is not between 400 and 599",
        "[[mock:500x0]]            | invalid mock directive [[mock:500x0]]: count x0 must be at least 1",
        "[[mock:500,]]             | invalid mock directive [[mock:500,]]: step '' is not ACTION[xCOUNT][(PARAMS)]",
        "[[mock:reset(retry-after=1)]] | invalid mock directive [[mock:reset(retry-after=1)]]: parameters apply only to status steps, insufficient_quota, flagged, hang, pause, slow and long, not reset",
        "[[mock:break(ms=5)]]      | invalid mock directive [[mock:break(ms=5)]]: parameters apply only to status steps, insufficient_quota, flagged, hang, pause, slow and long, not break",
        "[[mock:pause]]            | invalid mock directive [[mock:pause]]: pause needs its duration: pause(ms=N)",
        "[[mock:slowx2]]           | invalid mock directive [[mock:slowx2]]: slow needs its duration: slow(ms=N)",
        "[[mock:long]]             | invalid mock directive [[mock:long]]: long needs its length: long(chars=N)",
        "[[mock:hang(s=5)]]        | invalid mock directive [[mock:hang(s=5)]]: unknown parameter 's=5' of hang; use ms=N",
        "[[mock:long(ms=5)]]       | invalid mock directive [[mock:long(ms=5)]]: unknown parameter 'ms=5' of long; use chars=N",
        "[[mock:pause(ms=soon)]]   | invalid mock directive [[mock:pause(ms=soon)]]: 'ms=soon' needs a non-negative whole number",
        "[[mock:slow(ms=600001)]]  | invalid mock directive [[mock:slow(ms=600001)]]: 'ms=600001' must be between 0 and 600000",
        "[[mock:long(chars=0)]]    | invalid mock directive [[mock:long(chars=0)]]: 'chars=0' must be between 1 and 20000000",
        "[[mock:429(ms=5)]]        | invalid mock directive [[mock:429(ms=5)]]: unknown parameter 'ms=5'; use retry-after=N, retry-after=date+N, retry-after-ms=N or in-200",
        "[[mock:429(wait=1)]]      | invalid mock directive [[mock:429(wait=1)]]: unknown parameter 'wait=1'; use retry-after=N, retry-after=date+N, retry-after-ms=N or in-200",
        "[[mock:429(retry-after=soon)]] | invalid mock directive [[mock:429(retry-after=soon)]]: 'retry-after=soon' needs a non-negative whole number",
    })
    void rejectsMalformedDirectivesSayingWhatIsWrong(String text, String message) {
        assertThatThrownBy(() -> MockDirectives.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void playsStepsPerExactTextThenSucceeds() {
        MockDirectives directives = new MockDirectives();
        String text = "[[mock:429x1,500x2]] a";

        assertThat(directives.next(text)).map(Step::status).contains(429);
        assertThat(directives.next("[[mock:429x1,500x2]] b")).map(Step::status).contains(429);
        assertThat(directives.next(text)).map(Step::status).contains(500);
        assertThat(directives.next(text)).map(Step::status).contains(500);
        assertThat(directives.next(text)).isEmpty();
        assertThat(directives.next(text)).isEmpty();
        assertThat(directives.next("plain prompt")).isEmpty();
    }

    @Test
    void aStarCountRepeatsForever() {
        MockDirectives directives = new MockDirectives();
        String text = "[[mock:okx1,503x*]]";

        assertThat(directives.next(text)).map(Step::action).contains(Action.OK);
        for (int i = 0; i < 100; i++) {
            assertThat(directives.next(text)).map(Step::status).contains(503);
        }
    }

    @Test
    void countsExactlyUnderConcurrency() throws Exception {
        MockDirectives directives = new MockDirectives();
        String text = "[[mock:500x100]] shared";
        ConcurrentLinkedQueue<Boolean> failed = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 50; i++) {
                    failed.add(directives.next(text).isPresent());
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(failed).hasSize(200);
        assertThat(failed.stream().filter(f -> f).count()).isEqualTo(100);
    }

    @Test
    void writesRetryHeadersAsSecondsMillisOrAnHttpDateRoundedUp() {
        Instant now = Instant.parse("2026-03-05T07:08:09.250Z");

        assertThat(new Step(Action.STATUS, 429, 1, 2L, null, 300L).headers(now))
                .containsExactly(Map.entry("retry-after", "2"), Map.entry("retry-after-ms", "300"));
        assertThat(new Step(Action.STATUS, 429, 1, null, 3L, null).headers(now))
                .containsExactly(Map.entry("retry-after", "Thu, 05 Mar 2026 07:08:13 GMT"));
        assertThat(new Step(Action.STATUS, 429, 1, null, null, null).headers(now)).isEmpty();
    }

    @Test
    void aStepGivenBackPlaysInTheTextsNextRequest() {
        MockDirectives directives = new MockDirectives();
        String text = "[[mock:429x1,503x1]] text 17";

        assertThat(directives.next(text)).get().extracting(MockDirectives.Step::status).isEqualTo(429);
        directives.giveBack(text);
        assertThat(directives.next(text)).get().extracting(MockDirectives.Step::status).isEqualTo(429);
        assertThat(directives.next(text)).get().extracting(MockDirectives.Step::status).isEqualTo(503);
        assertThat(directives.next(text)).isEmpty();
    }
}
