package io.llmstream.local.mock;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs a few thousand requests through the server's own handlers in memory before it starts listening,
 * once per JVM, so that its first real requests meet compiled code. A provider's gateway is never cold; a
 * cold JVM handles the first second of requests late and in a bunch, and its rate limiter then sees
 * requests that came evenly as if they came at once (429s a real provider would not send). Nothing of the
 * warm-up is counted: it runs on a runtime of its own, without latency or faults.
 */
final class MockWarmUp {
    private static final int REQUESTS = 3000;
    private static volatile boolean done;

    private MockWarmUp() {}

    static synchronized void once(MockOptions options) {
        if (done) {
            return;
        }
        done = true;
        MockOptions quick = new MockOptions(options.host(), options.port(), options.models(), options.apiKeys(),
                options.revokedKeys(), options.embeddingDims(), options.seed(), 0, 0, 0, options.encoding(),
                options.rpm(), options.tpm(), options.limits(), options.limitWindow(), options.contextWindow(),
                options.contextWindows(), 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, options.stream(),
                options.limitHeaders(), false, 0, 0, options.batch());
        MockRuntime runtime = new MockRuntime(quick, System::nanoTime);
        String key = options.apiKeys().isEmpty() ? "warm-up-key" : options.apiKeys().iterator().next();
        String model = options.models().isEmpty() ? "gpt-4o-mini" : options.models().get(0);
        EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new MockRequestHandler(runtime));
        try {
            for (int i = 0; i < REQUESTS; i++) {
                String body = "{\"model\": \"" + model + "\", \"max_tokens\": 8, \"stream\": " + (i % 2 == 0)
                        + ", \"stream_options\": {\"include_usage\": true}, \"messages\": [{\"role\": \"user\", "
                        + "\"content\": \"Warm up item " + i + " with one word.\"}]}";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                        + "\r\nAuthorization: Bearer " + key + "\r\nContent-Length: " + bytes.length + "\r\n\r\n";
                ByteBuf request = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), bytes);
                channel.writeInbound(request);
                channel.runPendingTasks();
                Object written;
                while ((written = channel.readOutbound()) != null) {
                    ReferenceCountUtil.release(written);
                }
            }
        } catch (RuntimeException e) {
            // A warm-up that fails only leaves the server cold.
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
