package io.llmstream.local.mock;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.llmstream.local.mock.MockTestClient.chatBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start, base URL, close and the console runner. */
class MockServerLifecycleTest {

    @Test
    void reportsItsBaseUrlAndRealPort() {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            assertThat(server.port()).isPositive();
            assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/v1");
        }
    }

    @Test
    void refusesAPortInUseWithAClearMessage() {
        try (MockLlmServer first = MockLlmServer.start(MockOptions.builder().port(0).build())) {
            assertThatThrownBy(() -> MockLlmServer.start(MockOptions.builder().port(first.port()).build()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("mock-llm cannot listen on 127.0.0.1:" + first.port() + ": ")
                    .hasMessageEndingWith("; pick another --port, or 0 for a free one");
        }
    }

    @Test
    void closeEndsHangingRequestsAndIsIdempotent() throws Exception {
        MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).build());
        MockTestClient client = new MockTestClient(server);
        assertThat(client.chat("k", "gpt-4o", "warm up").status()).isEqualTo(200);
        HttpRequest hanging = client.request("/v1/chat/completions", "k", Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o", "[[mock:hang]]").toString())).build();
        CompletableFuture<HttpResponse<String>> reply = client.http()
                .sendAsync(hanging, HttpResponse.BodyHandlers.ofString());
        // The hang is counted once the server holds the request; wait for that without sleeping.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.stats().hangs() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(server.stats().hangs()).isEqualTo(1);

        server.close();
        server.close();

        assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    }

    @Test
    void runUntilInterruptedPrintsTheUrlAndStatsThenStops() throws Exception {
        PipedInputStream pipe = new PipedInputStream(64 * 1024);
        PrintStream out = new PrintStream(new PipedOutputStream(pipe), true, StandardCharsets.UTF_8);
        BufferedReader lines = new BufferedReader(new InputStreamReader(pipe, StandardCharsets.UTF_8));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                MockLlmServer.runUntilInterrupted(MockOptions.builder().port(0).build(), out, Duration.ofMillis(50));
            } catch (InterruptedException expected) {
                // how the runner is stopped
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "mock-llm-runner");
        runner.start();

        String listening = lines.readLine();
        String summary = lines.readLine();
        runner.interrupt();
        String stopped = lines.readLine();
        runner.join(5_000);

        assertThat(listening).matches("mock-llm listening on http://127\\.0\\.0\\.1:\\d+/v1");
        assertThat(summary).startsWith("mock-llm requests=0 rate_limited=0 resets=0");
        assertThat(stopped).startsWith("mock-llm stopped: requests=0");
        assertThat(runner.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
    }
}
