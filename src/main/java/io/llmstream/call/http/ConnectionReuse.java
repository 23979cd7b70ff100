package io.llmstream.call.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import org.asynchttpclient.Request;
import org.asynchttpclient.channel.KeepAliveStrategy;

import java.net.InetSocketAddress;

/**
 * Whether a connection goes back to the pool after an exchange, by RFC 7230 section 6.1, as the HTTP
 * client's own strategy decides it: not when the request or the response has the {@code close}
 * connection option (or a proxy's {@code Proxy-Connection: close}), and from an HTTP/1.0 server only with
 * {@code keep-alive}. It reads each header once by name instead of searching every value for each
 * option, which was a measurable part of the client's work per answer.
 */
final class ConnectionReuse implements KeepAliveStrategy {
    private static final String PROXY_CONNECTION = "Proxy-Connection";
    private static final String CLOSE = "close";
    private static final String KEEP_ALIVE = "keep-alive";

    @Override
    public boolean keepAlive(InetSocketAddress remoteAddress, Request ahcRequest, HttpRequest request,
                             HttpResponse response) {
        return reusable(response.protocolVersion(), response.headers().get(HttpHeaderNames.CONNECTION))
                && reusable(request.protocolVersion(), request.headers().get(HttpHeaderNames.CONNECTION))
                && !hasOption(response.headers().get(PROXY_CONNECTION), CLOSE);
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
