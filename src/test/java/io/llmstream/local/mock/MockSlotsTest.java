package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static io.llmstream.local.mock.MockTestClient.awaitStats;
import static io.llmstream.local.mock.MockTestClient.chatBody;
import static io.llmstream.local.mock.MockTestClient.streamBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --slots N}: at most N requests served at once, the rest queued in arrival order and never
 * refused for it, each one's latency starting when it gets its slot. Requests are sent one after the
 * other, each once the server has seen the one before, so their order of arrival is known. Timings are
 * checked from below, where the queue makes them exact; from above only against what a missing or
 * wrong queue would take.
 */
class MockSlotsTest {

    private static final String KEY = "sk-slots";
    private static final String MODEL = "gpt-4o";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** Timers never fire early; this only covers the millisecond rounding of the two clocks' readings. */
    private static final long EARLY_MS = 5;

    /** A plain answer and when it was complete ({@link System#nanoTime()}): for a whole body, its first byte too. */
    private record Timed(int status, String body, long doneNanos) {}

    @Test
    void servesAtMostTwoAtOnceAndQueuesTheRestInArrivalOrderNeverRefusingThem() throws Exception {
        long serviceMs = 500;
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(2)
                .latencyMs(serviceMs).latencySigma(0).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            List<CompletableFuture<Timed>> replies = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                replies.add(chat(client, "queued " + i));
                int sent = i + 1;
                awaitStats(server, stats -> stats.served() + stats.queued() == sent);
            }

            MockStats whileQueued = server.stats();
            List<Timed> done = new ArrayList<>();
            for (CompletableFuture<Timed> reply : replies) {
                done.add(reply.get(20, TimeUnit.SECONDS));
            }

            assertThat(whileQueued.maxQueued()).as("two served, four waiting").isEqualTo(4);
            for (int i = 0; i < 6; i++) {
                Timed reply = done.get(i);
                assertThat(reply.status()).as("reply %d: %s", i, reply.body()).isEqualTo(200);
                assertThat(JSON.readTree(reply.body()).at("/choices/0/message/content").asText())
                        .isEqualTo(MockAnswers.contentFor("queued " + i));
                long turn = i / 2 + 1;
                assertThat(msSince(start, reply.doneNanos())).as("reply %d comes in turn %d", i, turn)
                        .isGreaterThanOrEqualTo(turn * serviceMs - EARLY_MS);
            }
            long firstMs = msSince(start, done.get(0).doneNanos());
            for (Timed last : done.subList(4, 6)) {
                assertThat(msSince(start, last.doneNanos()) - firstMs)
                        .as("the 5th and 6th start two services after the 1st, sooner than one by one would")
                        // A difference of two times measured here, each of which may come a little early.
                        .isBetween(2 * serviceMs - 2 * EARLY_MS, 4 * serviceMs);
            }
            MockStats stats = awaitStats(server, s -> s.inFlight() == 0);
            assertThat(stats.slots()).isEqualTo(2);
            assertThat(stats.served()).isEqualTo(6);
            assertThat(stats.queued()).isZero();
            assertThat(stats.maxQueued()).isEqualTo(4);
            assertThat(stats.status(200)).isEqualTo(6);
            assertThat(stats.status(429)).isZero();
            assertThat(stats.rateLimited()).isZero();
            assertThat(stats.queueWaitMsMax()).as("the last two waited two services, less their later arrival")
                    .isBetween(serviceMs, 3 * serviceMs);
            assertThat(stats.queueWaitMsP50()).as("the median of 0, 0, 1, 1, 2, 2 services")
                    .isBetween(serviceMs / 2, 2 * serviceMs);
            assertThat(stats.summary()).contains(" slots=2 queued=0 max_queued=4 served=6 queue_wait_ms_p50=");
            JsonNode json = client.get("/mock/stats", null).json();
            assertThat(json.get("slots").asInt()).isEqualTo(2);
            assertThat(json.get("maxQueued").asLong()).isEqualTo(4);
            assertThat(json.get("served").asLong()).isEqualTo(6);
            assertThat(json.get("queued").asLong()).isZero();
            assertThat(json.get("queueWaitMsMax").asLong()).isEqualTo(stats.queueWaitMsMax());
            assertThat(json.get("queueWaitMsP50").asLong()).isEqualTo(stats.queueWaitMsP50());
        }
    }

    @Test
    void aStreamHoldsItsSlotUntilItsLastChunkAndAQueuedOneSendsItsHeadersWhenItGetsOne() throws Exception {
        long firstTokenMs = 100;
        long streamMs = firstTokenMs + 300;
        ExecutorService clients = Executors.newFixedThreadPool(6);
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(2)
                .latencyMs(firstTokenMs).latencySigma(0).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            List<CompletableFuture<MockTestClient.StreamReply>> replies = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String prompt = "[[mock:slow(ms=300)]] streamed " + i;
                replies.add(CompletableFuture.supplyAsync(() -> stream(client, prompt), clients));
                int sent = i + 1;
                awaitStats(server, stats -> stats.served() + stats.queued() == sent);
            }

            for (int i = 0; i < 6; i++) {
                MockTestClient.StreamReply reply = replies.get(i).get(20, TimeUnit.SECONDS);
                assertThat(reply.status()).isEqualTo(200);
                assertThat(reply.endsWithDone()).isTrue();
                assertThat(reply.content()).isEqualTo(MockAnswers.contentFor("[[mock:slow(ms=300)]] streamed " + i));
                long queuedFor = (i / 2) * streamMs;
                assertThat(msSince(start, reply.headersNanos())).as("headers of stream %d", i)
                        .isGreaterThanOrEqualTo(queuedFor - EARLY_MS);
                assertThat(msSince(start, reply.contentEvents().get(0).atNanos())).as("first token of stream %d", i)
                        .isGreaterThanOrEqualTo(queuedFor + firstTokenMs - EARLY_MS);
            }
            MockStats stats = awaitStats(server, s -> s.inFlight() == 0);
            assertThat(stats.streamed()).isEqualTo(6);
            assertThat(stats.served()).isEqualTo(6);
            assertThat(stats.maxQueued()).isEqualTo(4);
            assertThat(stats.queueWaitMsMax()).as("the last two waited for two whole streams, not two first tokens")
                    .isGreaterThan(streamMs);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void embeddingsWaitForTheSameSlotsAsChats() throws Exception {
        long serviceMs = 300;
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(1)
                .latencyMs(serviceMs).latencySigma(0).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            CompletableFuture<Timed> chat = chat(client, "first");
            awaitStats(server, stats -> stats.served() == 1);
            HttpRequest embeddings = client.request("/v1/embeddings", KEY, TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                            .put("model", "text-embedding-3-small").put("input", "second").toString())).build();
            CompletableFuture<Timed> embedded = timed(client, embeddings);

            assertThat(chat.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            Timed vectors = embedded.get(20, TimeUnit.SECONDS);
            assertThat(vectors.status()).isEqualTo(200);
            assertThat(msSince(start, vectors.doneNanos())).isGreaterThanOrEqualTo(2 * serviceMs - EARLY_MS);
            MockStats stats = server.stats();
            assertThat(stats.served()).isEqualTo(2);
            assertThat(stats.maxQueued()).isEqualTo(1);
        }
    }

    @Test
    void aClientThatLeavesTheQueueTakesNoSlot() throws Exception {
        long serviceMs = 600;
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(1)
                .latencyMs(serviceMs).latencySigma(0).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            CompletableFuture<Timed> first = chat(client, "served");
            awaitStats(server, stats -> stats.served() == 1);

            assertThatThrownBy(() -> client.chatWithTimeout(KEY, MODEL, "gives up", Duration.ofMillis(200)))
                    .isInstanceOf(HttpTimeoutException.class);
            MockStats afterLeaving = awaitStats(server, stats -> stats.queued() == 0);
            assertThat(afterLeaving.queued()).as("left the queue when its connection closed").isZero();
            assertThat(afterLeaving.maxQueued()).isEqualTo(1);
            CompletableFuture<Timed> next = chat(client, "next in line");

            assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            Timed nextReply = next.get(20, TimeUnit.SECONDS);
            assertThat(nextReply.status()).isEqualTo(200);
            assertThat(msSince(start, nextReply.doneNanos()))
                    .as("served right after the first, not after a slot for the one that left")
                    .isBetween(2 * serviceMs - EARLY_MS, 3 * serviceMs - 1);
            MockStats stats = awaitStats(server, s -> s.inFlight() == 0);
            assertThat(stats.served()).isEqualTo(2);
            assertThat(stats.status(200)).isEqualTo(2);
            assertThat(stats.requests()).isEqualTo(3);
        }
    }

    @Test
    void aHungRequestHoldsItsSlotUntilItsClientGivesUp() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(1).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            HttpRequest hung = client.request("/v1/chat/completions", KEY, Duration.ofMillis(400))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            chatBody(MODEL, "[[mock:hang(ms=60000)]] stuck").toString())).build();
            CompletableFuture<Timed> stuck = timed(client, hung);
            awaitStats(server, stats -> stats.served() == 1);
            CompletableFuture<Timed> behind = chat(client, "behind the hung one");
            awaitStats(server, stats -> stats.queued() == 1);

            assertThatThrownBy(() -> stuck.get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(HttpTimeoutException.class);
            Timed reply = behind.get(20, TimeUnit.SECONDS);
            assertThat(reply.status()).isEqualTo(200);
            assertThat(msSince(start, reply.doneNanos())).as("waited for the hung request's client to give up")
                    .isBetween(400 - EARLY_MS, 10_000L);
            MockStats stats = server.stats();
            assertThat(stats.hangs()).isEqualTo(1);
            assertThat(stats.served()).isEqualTo(2);
            assertThat(stats.queueWaitMsMax()).isGreaterThanOrEqualTo(200);
        }
    }

    @Test
    void rateLimitsStillRefuseAtArrivalAndTheQueueNever() throws Exception {
        // 120 RPM over a 1 s window: a bucket of 2 requests.
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).slots(1).rpm(120)
                .latencyMs(1000).latencySigma(0).build())) {
            MockTestClient client = new MockTestClient(server);
            CompletableFuture<Timed> served = chat(client, "one");
            awaitStats(server, stats -> stats.served() == 1);
            CompletableFuture<Timed> queued = chat(client, "two");
            awaitStats(server, stats -> stats.queued() == 1);

            MockTestClient.Reply refused = client.chat(KEY, MODEL, "three");

            refused.assertOpenAiError(429, "requests", "rate_limit_exceeded");
            assertThat(served.isDone()).as("the 429 came at once, ahead of the queue").isFalse();
            assertThat(served.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(queued.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            MockStats stats = server.stats();
            assertThat(stats.rateLimited()).isEqualTo(1);
            assertThat(stats.served()).isEqualTo(2);
            assertThat(stats.maxQueued()).isEqualTo(1);
        }
    }

    @Test
    void withoutSlotsEveryRequestIsServedAtOnce() throws Exception {
        long serviceMs = 500;
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0)
                .latencyMs(serviceMs).latencySigma(0).build())) {
            MockTestClient client = warmClient(server);
            long start = System.nanoTime();
            List<CompletableFuture<Timed>> replies = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                replies.add(chat(client, "unqueued " + i));
            }

            assertThat(awaitStats(server, stats -> stats.inFlight() == 6).inFlight()).isEqualTo(6);
            for (CompletableFuture<Timed> reply : replies) {
                Timed done = reply.get(20, TimeUnit.SECONDS);
                assertThat(done.status()).isEqualTo(200);
                assertThat(msSince(start, done.doneNanos())).as("all six in one service time, none queued")
                        .isBetween(serviceMs - EARLY_MS, 2 * serviceMs - 1);
            }
            MockStats stats = server.stats();
            assertThat(stats.slots()).isZero();
            assertThat(stats.served()).isZero();
            assertThat(stats.maxQueued()).isZero();
            assertThat(stats.queueWaitMsMax()).isZero();
            assertThat(stats.summary()).doesNotContain("slots=");
        }
    }

    @Test
    void theQueueIsFifoSkipsClosedChannelsAndMeasuresWaits() {
        AtomicLong clock = new AtomicLong();
        MockCounters counters = new MockCounters(clock::get, 1);
        MockSlots slots = new MockSlots(1, counters, clock::get);
        List<String> servedInOrder = new ArrayList<>();
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel gone = new EmbeddedChannel();
        EmbeddedChannel second = new EmbeddedChannel();
        EmbeddedChannel third = new EmbeddedChannel();

        MockSlots.Ticket a = slots.enter(first, Runnable::run, () -> servedInOrder.add("first"));
        slots.enter(gone, Runnable::run, () -> servedInOrder.add("gone"));
        MockSlots.Ticket b = slots.enter(second, Runnable::run, () -> servedInOrder.add("second"));
        MockSlots.Ticket c = slots.enter(third, Runnable::run, () -> servedInOrder.add("third"));
        gone.close();
        assertThat(a.servedAtOnce()).isTrue();
        assertThat(b.servedAtOnce()).isFalse();
        assertThat(counters.snapshot().queued()).isEqualTo(3);

        clock.set(TimeUnit.MILLISECONDS.toNanos(100));
        slots.leave(a);
        assertThat(servedInOrder).as("its turn came after its channel closed: skipped").containsExactly("second");
        clock.set(TimeUnit.MILLISECONDS.toNanos(250));
        slots.leave(b);
        slots.leave(b);
        slots.leave(c);

        assertThat(servedInOrder).containsExactly("second", "third");
        MockStats stats = counters.snapshot();
        assertThat(stats.served()).isEqualTo(3);
        assertThat(stats.queued()).isZero();
        assertThat(stats.maxQueued()).isEqualTo(3);
        assertThat(stats.queueWaitMsP50()).as("waits of 0, 100 and 250 ms").isEqualTo(100);
        assertThat(stats.queueWaitMsMax()).isEqualTo(250);
    }

    /** A client that has sent a request already, so a cold JDK client does not count in the timings. */
    private static MockTestClient warmClient(MockLlmServer server) throws Exception {
        MockTestClient client = new MockTestClient(server);
        assertThat(client.get("/v1/models", KEY).status()).isEqualTo(200);
        server.resetStats();
        return client;
    }

    private static CompletableFuture<Timed> chat(MockTestClient client, String text) {
        HttpRequest request = client.request("/v1/chat/completions", KEY, TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody(MODEL, text).toString())).build();
        return timed(client, request);
    }

    private static CompletableFuture<Timed> timed(MockTestClient client, HttpRequest request) {
        return client.http().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Timed(response.statusCode(), response.body(), System.nanoTime()));
    }

    private static MockTestClient.StreamReply stream(MockTestClient client, String prompt) {
        try {
            return client.stream(KEY, streamBody(MODEL, prompt, false), TIMEOUT);
        } catch (Exception e) {
            throw new IllegalStateException("stream of '" + prompt + "' failed", e);
        }
    }

    private static long msSince(long startNanos, long atNanos) {
        return TimeUnit.NANOSECONDS.toMillis(atNanos - startNanos);
    }
}
