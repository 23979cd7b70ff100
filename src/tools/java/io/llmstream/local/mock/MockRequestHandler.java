package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each request: the control endpoints under {@code /mock}, then for {@code /v1} the outage
 * window, the API key and the endpoint; the files and batches endpoints go to {@link MockBatches}. Runs on
 * the event loop and never blocks it; delayed answers are scheduled by {@link MockExchange#later}.
 */
@ChannelHandler.Sharable
final class MockRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(MockRequestHandler.class);
    private static final String CHAT = "/v1/chat/completions";
    private static final String EMBEDDINGS = "/v1/embeddings";

    private final MockRuntime rt;
    private final MockChat chat;
    private final MockEndpoints endpoints;
    private final MockEmbeddings embeddings;

    MockRequestHandler(MockRuntime rt) {
        this.rt = rt;
        this.chat = new MockChat(rt);
        this.endpoints = new MockEndpoints(rt);
        this.embeddings = new MockEmbeddings(rt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (Boolean.TRUE.equals(ctx.channel().attr(MockExchange.CLOSED_UNANNOUNCED).get())) {
            // A server that closed this connection unannounced never sees the request sent on it.
            ctx.close();
            return;
        }
        long arrivedNanos = rt.nanoClock.getAsLong();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String method = request.method().name();
        String path = new QueryStringDecoder(request.uri()).path();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!request.decoderResult().isSuccess()) {
            new MockExchange(ctx, false, null, rt.json, rt.nextRequestId())
                    .error(MockErrors.invalidRequest("Malformed HTTP request.", null));
            return;
        }
        if (path.startsWith("/mock/")) {
            control(new MockExchange(ctx, keepAlive, null, rt.json, rt.nextRequestId()), method, path);
            return;
        }
        MockExchange ex = new MockExchange(ctx, keepAlive, rt.counters, rt.json, rt.nextRequestId());
        rt.counters.request();
        if (path.equals(CHAT) || path.equals(EMBEDDINGS)) {
            ex.countInFlight();
        }
        if (!path.startsWith("/v1/")) {
            ex.error(MockErrors.notFound(method, path));
            return;
        }
        if (rt.inOutage()) {
            rt.counters.outageRefusal();
            ex.error(MockErrors.outage());
            return;
        }
        MockAuth.Result auth = rt.auth.check(request.headers());
        if (!auth.ok()) {
            ex.error(auth.error());
            return;
        }
        try {
            route(ex, method, path, auth.fingerprint(), request, arrivedNanos);
        } catch (RuntimeException e) {
            LOG.warn("mock-llm failed on {} {}; answering 500", method, path, e);
            ex.error(new MockErrors.Error(500, "mock-llm failed: " + e, "server_error", null, "server_error"));
        }
    }

    private void route(MockExchange ex, String method, String path, String fingerprint, FullHttpRequest request,
            long arrivedNanos) {
        switch (path) {
            case CHAT -> {
                JsonNode body = post(ex, method, path, request);
                if (body != null) {
                    chat.handle(ex, fingerprint, body, arrivedNanos);
                }
            }
            case EMBEDDINGS -> {
                JsonNode body = post(ex, method, path, request);
                if (body != null) {
                    embeddings.handle(ex, fingerprint, body);
                }
            }
            case "/v1/models" -> {
                if (get(ex, method, path)) {
                    endpoints.models(ex);
                }
            }
            default -> {
                if (MockBatches.serves(path)) {
                    rt.batches.route(ex, method, path, fingerprint, request);
                } else if (!path.startsWith("/v1/models/")) {
                    ex.error(MockErrors.notFound(method, path));
                } else if (get(ex, method, path)) {
                    endpoints.model(ex, path.substring("/v1/models/".length()));
                }
            }
        }
    }

    private void control(MockExchange ex, String method, String path) {
        switch (path) {
            case "/mock/stats" -> {
                if (get(ex, method, path)) {
                    endpoints.stats(ex);
                }
            }
            case "/mock/reset" -> {
                if ("POST".equals(method)) {
                    endpoints.reset(ex);
                } else {
                    ex.error(MockErrors.methodNotAllowed(method, path));
                }
            }
            default -> ex.error(MockErrors.notFound(method, path));
        }
    }

    private static boolean get(MockExchange ex, String method, String path) {
        if ("GET".equals(method)) {
            return true;
        }
        ex.error(MockErrors.methodNotAllowed(method, path));
        return false;
    }

    /** The JSON body of a POST, or null after answering 405 or 400. */
    private static JsonNode post(MockExchange ex, String method, String path, FullHttpRequest request) {
        if (!"POST".equals(method)) {
            ex.error(MockErrors.methodNotAllowed(method, path));
            return null;
        }
        return ex.readJson(request);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("mock-llm closes a connection after an error", cause);
        ctx.close();
    }
}
