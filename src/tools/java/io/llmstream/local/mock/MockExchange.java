package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request's way back to its client: JSON answers, raw bodies, event streams, resets and hangs,
 * now or after a delay scheduled on the channel's event loop (never a sleeping thread), once the request
 * holds a slot when there are {@link MockSlots}. Answers to {@code /v1} are counted in
 * {@link MockCounters} when they are actually sent; the control endpoints pass no counters.
 */
final class MockExchange {

    static final String APPLICATION_JSON = "application/json";
    /** OpenAI's content type for a streamed answer. */
    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(MockExchange.class);
    private static final int UNTRACKED = 0;
    private static final int IN_FLIGHT = 1;
    private static final int DONE = 2;

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final MockCounters counters;
    private final ObjectMapper json;
    private final String requestId;
    private final AtomicInteger flight = new AtomicInteger(UNTRACKED);
    private final ChannelFutureListener closed = future -> leaveFlight();
    private final ChannelFutureListener slotClosed = future -> releaseSlot();
    private MockSlots slots;
    /** This request's place in {@link MockSlots}, waiting or served; null when it has none (any more). */
    private MockSlots.Ticket ticket;
    /** The latest write of a stream, so a close waits until every byte before it is out. */
    private ChannelFuture lastWrite;

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

    /** Marks a connection whose next request is dropped unread: the server took it for closed. */
    static final io.netty.util.AttributeKey<Boolean> CLOSED_UNANNOUNCED =
            io.netty.util.AttributeKey.valueOf("llmstream.mock.closedUnannounced");

    /**
     * The server takes this connection for closed after this answer without saying so: the next request on it
     * is dropped unread and the connection closed (the {@code closes} directive).
     */
    void dropNextRequestOnThisConnection() {
        ctx.channel().attr(CLOSED_UNANNOUNCED).set(Boolean.TRUE);
    }

    /** The JSON body of a request, or null after answering 400 when it is empty or not JSON. */
    JsonNode readJson(FullHttpRequest request) {
        try (InputStream in = new ByteBufInputStream(request.content())) {
            JsonNode body = json.readTree(in);
            if (body != null && !body.isMissingNode()) {
                return body;
            }
            error(MockErrors.invalidRequest("We could not parse the JSON body of your request: it is empty.", null));
        } catch (JsonProcessingException e) {
            error(MockErrors.invalidRequest("We could not parse the JSON body of your request: "
                    + e.getOriginalMessage(), null));
        } catch (IOException e) {
            error(MockErrors.invalidRequest("We could not read the body of your request: " + e.getMessage(), null));
        }
        return null;
    }

    /** Sends a JSON answer. */
    void json(int status, JsonNode body, Map<String, String> headers) {
        raw(status, bytes(body), APPLICATION_JSON, headers);
    }

    /** Sends an OpenAI-style error answer. */
    void error(MockErrors.Error error) {
        json(error.status(), error.body(json), error.headers());
    }

    /**
     * Sends an OpenAI-style error object inside a 200 answer: as the one event of an event stream when the
     * request asked for a stream, else as the body.
     */
    void errorIn200(MockErrors.Error error, boolean stream) {
        byte[] body = bytes(error.body(json));
        if (!stream) {
            raw(200, body, APPLICATION_JSON, error.headers());
            return;
        }
        startStream(error.headers());
        byte[] event = new byte[body.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(body, 0, event, 6, body.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        endStream(List.of(event));
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

    /**
     * Counts this request in flight until it is answered, its stream ends or breaks, or its connection
     * closes, whichever comes first; a hung request stays in flight until its client gives up.
     */
    void countInFlight() {
        if (counters != null && flight.compareAndSet(UNTRACKED, IN_FLIGHT)) {
            counters.enterFlight();
            // Runs at once when the connection is already gone.
            ctx.channel().closeFuture().addListener(closed);
        }
    }

    private void leaveFlight() {
        if (flight.compareAndSet(IN_FLIGHT, DONE)) {
            counters.leaveFlight();
            // A keep-alive connection serves many requests: drop the listener instead of piling them up.
            ctx.channel().closeFuture().removeListener(closed);
        }
    }

    /**
     * Runs {@code serve} once this request holds one of the server's slots ({@code --slots}): now, or
     * when its turn in the queue comes, on this channel's event loop. The slot is held until the answer
     * is sent, the stream ends or breaks, the connection is reset, or the client goes away; a hang holds
     * it. Without slots, {@code serve} runs now.
     */
    void whenServed(MockSlots slots, Runnable serve) {
        if (slots.unlimited()) {
            serve.run();
            return;
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        this.slots = slots;
        ticket = slots.enter(ctx.channel(), ctx.executor(), () -> serveIfStillHere(serve));
        boolean servedAtOnce = ticket.servedAtOnce();
        // Runs at once when the connection is already gone, leaving the queue or freeing the slot.
        ctx.channel().closeFuture().addListener(slotClosed);
        if (servedAtOnce) {
            serveIfStillHere(serve);
        }
    }

    private void serveIfStillHere(Runnable serve) {
        if (ticket == null || !ctx.channel().isActive()) {
            return;
        }
        try {
            serve.run();
        } catch (RuntimeException e) {
            LOG.warn("mock-llm failed to serve request {}; answering 500", requestId, e);
            error(new MockErrors.Error(500, "mock-llm failed: " + e, "server_error", null, "server_error"));
        }
    }

    private void releaseSlot() {
        MockSlots.Ticket held = ticket;
        if (held != null) {
            ticket = null;
            ctx.channel().closeFuture().removeListener(slotClosed);
            slots.leave(held);
        }
    }

    /** The answer is over, whole, streamed, broken or reset: out of flight, and its slot to the next request. */
    private void ended() {
        leaveFlight();
        releaseSlot();
    }

    /** Sends any body with any status, if the client is still there. */
    void raw(int status, byte[] body, String contentType, Map<String, String> headers) {
        ended();
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

    /**
     * Sends the status line and headers of a 200 event stream: chunked, no content length. The events
     * follow with {@link #events}, the end with {@link #endStream} or {@link #abort}.
     */
    void startStream(Map<String, String> headers) {
        if (!ctx.channel().isActive()) {
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, EVENT_STREAM);
        response.headers().set("x-request-id", requestId);
        headers.forEach((name, value) -> response.headers().set(name, value));
        HttpUtil.setTransferEncodingChunked(response, true);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (counters != null) {
            counters.status(200);
            counters.streamed();
        }
        // Flushed with the first events, which a server writes right behind its headers.
        lastWrite = ctx.write(response);
    }

    /** Sends server-sent events, each already framed ({@code data: ...}, blank line), in one write. */
    void events(List<byte[]> events) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (events.isEmpty()) {
            ctx.flush();
            return;
        }
        DefaultHttpContent content = new DefaultHttpContent(joined(events));
        lastWrite = ctx.writeAndFlush(content);
    }

    /** Events in one buffer from the channel's pool, written to the socket as one piece. */
    private ByteBuf joined(List<byte[]> events) {
        int size = 0;
        for (byte[] event : events) {
            size += event.length;
        }
        ByteBuf joined = ctx.alloc().buffer(size);
        for (byte[] event : events) {
            joined.writeBytes(event);
        }
        return joined;
    }

    /**
     * Sends the last events, each already framed, and ends the chunked body, in one write: the same bytes
     * as {@link #events} and an empty last chunk written one after the other.
     */
    void endStream(List<byte[]> lastEvents) {
        ended();
        if (!ctx.channel().isActive()) {
            return;
        }
        LastHttpContent last = lastEvents.isEmpty() ? LastHttpContent.EMPTY_LAST_CONTENT
                : new DefaultLastHttpContent(joined(lastEvents));
        ChannelFuture end = ctx.writeAndFlush(last);
        if (!keepAlive) {
            end.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Closes the connection (a FIN, not a reset) once what was written is out, leaving a stream or a
     * body unfinished: the client sees the end of the connection in the middle of the answer.
     */
    void abort() {
        ended();
        if (lastWrite != null) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.channel().close();
        }
    }

    /**
     * Sends the headers of the whole body, content length included, but only its first {@code sent}
     * bytes, then closes the connection: a transfer cut off in the middle.
     */
    void truncated(int status, byte[] body, int sent, String contentType, Map<String, String> headers) {
        if (!ctx.channel().isActive()) {
            ended();
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set("x-request-id", requestId);
        headers.forEach((name, value) -> response.headers().set(name, value));
        HttpUtil.setContentLength(response, body.length);
        if (counters != null) {
            counters.status(status);
        }
        ctx.write(response, ctx.voidPromise());
        lastWrite = ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(body, 0, sent)));
        abort();
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
        ended();
        if (counters != null) {
            counters.reset();
        }
        if (ctx.channel().isActive()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.channel().close();
        }
    }

    /**
     * Counts a hang: nothing is sent, and the connection stays open until the client gives up, the
     * server stops or the caller answers after all ({@code --hang-for}, {@code hang(ms=N)}).
     */
    void hang() {
        if (counters != null) {
            counters.hang();
        }
    }
}
