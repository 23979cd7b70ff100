package io.llmstream.call.cache;

import io.llmstream.config.CacheSettings;
import io.llmstream.record.Completion;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cache alone, on a controlled clock. */
class AnswerCacheTest {
    private final AtomicLong now = new AtomicLong(1_000_000);

    private AnswerCache<String> cache(Duration ttl, int maxEntries) {
        return new AnswerCache<>(new CacheSettings(ttl, maxEntries), now::get);
    }

    private static Completion answer(String content) {
        return new Completion("first", "m1", content, "stop", null, 10, 5, 15, 2, 300, 20, -1, null, null, null);
    }

    @Test
    void theFirstLeadsRepeatsWaitAndTheAnswerGoesToEveryWaiter() {
        AnswerCache<String> cache = cache(Duration.ofMinutes(10), 100);

        assertThat(cache.lookup("k", "a").found()).isEqualTo(AnswerCache.Found.NOTHING);
        assertThat(cache.lookup("k", "b").found()).isEqualTo(AnswerCache.Found.IN_FLIGHT);
        assertThat(cache.lookup("k", "c").found()).isEqualTo(AnswerCache.Found.IN_FLIGHT);
        assertThat(cache.lookup("other", "d").found()).as("another request leads its own call")
                .isEqualTo(AnswerCache.Found.NOTHING);
        assertThat(cache.waiting()).isEqualTo(2);

        assertThat(cache.answered("k", answer("A"))).containsExactly("b", "c");
        AnswerCache.Lookup repeat = cache.lookup("k", "e");
        assertThat(repeat.found()).isEqualTo(AnswerCache.Found.ANSWER);
        assertThat(repeat.answer().content()).isEqualTo("A");
        assertThat(cache.waiting()).as("the other call has no waiters").isZero();
        assertThat(cache.hits()).isEqualTo(1);
    }

    @Test
    void anAnswerExpiresAfterTheTtlCountedFromItsArrival() {
        AnswerCache<String> cache = cache(Duration.ofSeconds(10), 100);
        cache.lookup("k", "a");
        now.addAndGet(5_000);
        cache.answered("k", answer("A"));

        now.addAndGet(9_999);
        assertThat(cache.lookup("k", "b").found()).isEqualTo(AnswerCache.Found.ANSWER);
        now.addAndGet(1);
        assertThat(cache.lookup("k", "c").found()).as("10 s after the answer came")
                .isEqualTo(AnswerCache.Found.NOTHING);
        assertThat(cache.size()).isZero();
        assertThat(cache.answered("k", answer("A2"))).isEmpty();
        assertThat(cache.lookup("k", "d").answer().content()).isEqualTo("A2");
    }

    @Test
    void keepsAtMostMaxEntriesDroppingTheOldestAndExpiredOnes() {
        AnswerCache<String> cache = cache(Duration.ofSeconds(10), 3);
        for (String key : new String[] {"k1", "k2", "k3", "k4"}) {
            cache.lookup(key, key);
            cache.answered(key, answer(key));
            now.addAndGet(1_000);
        }

        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.lookup("k1", "x").found()).as("the oldest went first").isEqualTo(AnswerCache.Found.NOTHING);
        assertThat(cache.lookup("k2", "y").found()).isEqualTo(AnswerCache.Found.ANSWER);
        assertThat(cache.lookup("k4", "z").found()).isEqualTo(AnswerCache.Found.ANSWER);

        now.addAndGet(8_500);  // k2 (stored at +1 s) and k3 (+2 s) are 10 s old now, k4 (+3 s) not yet
        cache.lookup("k5", "k5");
        cache.answered("k5", answer("k5"));
        assertThat(cache.size()).as("expired answers leave when a new one comes").isEqualTo(2);
        assertThat(cache.lookup("k4", "w").found()).isEqualTo(AnswerCache.Found.ANSWER);
    }

    @Test
    void whenTheLeadingCallFailsNothingIsKeptAndItsWaitersAreHandedBack() {
        AnswerCache<String> cache = cache(Duration.ofMinutes(10), 100);
        cache.lookup("k", "a");
        cache.lookup("k", "b");
        cache.lookup("k", "c");

        assertThat(cache.failed("k", "b")).as("only the leader's failure counts").isEmpty();
        assertThat(cache.failed("k", "a")).containsExactly("b", "c");
        assertThat(cache.size()).isZero();
        assertThat(cache.waiting()).isZero();
        assertThat(cache.lookup("k", "d").found()).as("the next repeat leads a new call")
                .isEqualTo(AnswerCache.Found.NOTHING);
    }

    @Test
    void aWaiterThatLeavesIsNotAnsweredAgain() {
        AnswerCache<String> cache = cache(Duration.ofMinutes(10), 100);
        cache.lookup("k", "a");
        cache.lookup("k", "b");
        cache.lookup("k", "c");

        cache.withdraw("k", "b");

        assertThat(cache.answered("k", answer("A"))).containsExactly("c");
    }

    @Test
    void anAnswerFromAnotherCallAlsoAnswersTheWaiters() {
        AnswerCache<String> cache = cache(Duration.ofMinutes(10), 100);
        cache.lookup("k", "a");
        cache.lookup("k", "b");
        cache.failed("k", "a");
        // b now calls on its own; meanwhile a new repeat leads a new call and another waits for it.
        cache.lookup("k", "c");
        cache.lookup("k", "d");

        assertThat(cache.answered("k", answer("from b"))).containsExactly("d");
        assertThat(cache.failed("k", "c")).as("its waiters were answered already").isEmpty();
        assertThat(cache.lookup("k", "e").answer().content()).isEqualTo("from b");
    }

    @Test
    void cannotBeMadeForAModelWithoutACache() {
        assertThatThrownBy(() -> new AnswerCache<String>(CacheSettings.OFF, now::get))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
