package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One request's way back to its client: JSON answers, raw bodies, resets and hangs, now or after a
 * delay scheduled on the channel's event loop (never a sleeping thread). Answers to {@code /v1} are
 * counted in {@link MockCounters} when they are actually sent; the control endpoints pass no counters.
 */
final class MockExchange {

    static final String APPLICATION_JSON = "application/json";

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final MockCounters counters;
    private final ObjectMapper json;
    private final String requestId;

    MockExchange(ChannelHandlerContext ctx, boolean keepAlive, MockCounters counters, ObjectMapper json,
                 String requestId) {
        this.ctx = ctx;
        this.keepAlive = keepAlive;
        this.counters = counters;
        this.json = json;
        this.requestId = requestId;
    }

    String requestId() {
        return requestId;
    }

    ObjectMapper json() {
        return json;
    }

    /** Sends a JSON answer. */
    void json(int status, JsonNode body, Map<String, String> headers) {
        raw(status, bytes(body), APPLICATION_JSON, headers);
    }

    /** Sends an OpenAI-style error answer. */
    void error(MockErrors.Error error) {
        json(error.status(), error.body(json), error.headers());
    }

    byte[] bytes(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write a JSON tree, which should not happen", e);
        }
    }

    /** Whether the client is still connected; count an answer before sending it, so a client never sees it uncounted. */
    boolean isOpen() {
        return ctx.channel().isActive();
    }

    /** Sends any body with any status, if the client is still there. */
    void raw(int status, byte[] body, String contentType, Map<String, String> headers) {
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set("x-request-id", requestId);
        headers.forEach((name, value) -> response.headers().set(name, value));
        HttpUtil.setContentLength(response, body.length);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (counters != null) {
            counters.status(status);
        }
        if (keepAlive) {
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Runs {@code action} on this channel's event loop after the delay, or now when there is none. */
    void later(long delayNanos, Runnable action) {
        if (delayNanos <= 0) {
            action.run();
        } else {
            ctx.executor().schedule(action, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Aborts the connection with a TCP RST: SO_LINGER 0, then close. */
    void reset() {
        if (counters != null) {
            counters.reset();
        }
        if (ctx.channel().isActive()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.channel().close();
        }
    }

    /** Never answers; the connection stays open until the client gives up or the server stops. */
    void hang() {
        if (counters != null) {
            counters.hang();
        }
    }
}
