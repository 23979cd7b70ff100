package io.llmstream.call.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import org.asynchttpclient.Request;
import org.asynchttpclient.channel.KeepAliveStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a connection goes back to the pool after an exchange, by RFC 7230 section 6.1, as the HTTP
 * client's own strategy decides it: not when the request or the response has the {@code close}
 * connection option (or a proxy's {@code Proxy-Connection: close}), and from an HTTP/1.0 server only with
 * {@code keep-alive}. It reads each header once by name instead of searching every value for each
 * option, which was a measurable part of the client's work per answer.
 *
 * <p>Some servers close the connection after every streamed answer without saying so (llama.cpp's
 * {@code llama-server} sends {@code Keep-Alive: timeout=5} and then closes): a request sent on such a
 * connection fails before the server sees it. Once a server is seen doing that ({@link #closesAfterStreams}),
 * its connections are no longer reused after a streamed answer.
 */
final class ConnectionReuse implements KeepAliveStrategy {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionReuse.class);
    private static final String PROXY_CONNECTION = "Proxy-Connection";
    private static final String CLOSE = "close";
    private static final String KEEP_ALIVE = "keep-alive";

    private final Set<SocketAddress> closingAfterStreams = ConcurrentHashMap.newKeySet();

    @Override
    public boolean keepAlive(InetSocketAddress remoteAddress, Request ahcRequest, HttpRequest request,
                             HttpResponse response) {
        if (!closingAfterStreams.isEmpty() && closingAfterStreams.contains(remoteAddress) && isEventStream(response)) {
            return false;
        }
        return reusable(response.protocolVersion(), response.headers().get(HttpHeaderNames.CONNECTION))
                && reusable(request.protocolVersion(), request.headers().get(HttpHeaderNames.CONNECTION))
                && !hasOption(response.headers().get(PROXY_CONNECTION), CLOSE);
    }

    /**
     * A request on a reused connection to {@code server} failed before any answer because the server had
     * closed it: from now on its connections are not reused after a streamed answer. One INFO line per server.
     */
    void closesAfterStreams(SocketAddress server) {
        if (server != null && closingAfterStreams.add(server)) {
            LOG.info("The server at {} closed a reused connection it had not announced closing (no Connection: "
                    + "close): its connections are not reused after streamed answers from now on, and the request "
                    + "was sent again at once without spending an attempt", server);
        }
    }

    private static boolean isEventStream(HttpResponse response) {
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, HttpHeaderValues.TEXT_EVENT_STREAM.toString(), 0,
                HttpHeaderValues.TEXT_EVENT_STREAM.length());
    }

    static boolean reusable(HttpVersion version, String connection) {
        if (connection == null) {
            return version.isKeepAliveDefault();
        }
        if (hasOption(connection, CLOSE)) {
            return false;
        }
        return version.isKeepAliveDefault() || hasOption(connection, KEEP_ALIVE);
    }

    /** Whether a comma-separated header value lists {@code option}, case and blanks aside. */
    static boolean hasOption(String header, String option) {
        if (header == null) {
            return false;
        }
        int start = 0;
        int length = header.length();
        while (start <= length) {
            int comma = header.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            int from = start;
            int to = end;
            while (from < to && Character.isWhitespace(header.charAt(from))) {
                from++;
            }
            while (to > from && Character.isWhitespace(header.charAt(to - 1))) {
                to--;
            }
            if (to - from == option.length() && header.regionMatches(true, from, option, 0, option.length())) {
                return true;
            }
            if (comma < 0) {
                return false;
            }
            start = comma + 1;
        }
        return false;
    }
}
