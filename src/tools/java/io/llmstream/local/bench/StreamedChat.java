package io.llmstream.local.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One streamed chat completion sent straight to a server, bypassing the job, on a loopback connection of its
 * own: the client that measures what a server does unloaded and saturated. It times the request as the job
 * times an attempt: from just before the connection is opened to the first server-sent event (the job's
 * {@code first_token_ms}) and to {@code data: [DONE]}.
 *
 * <p>A connection per request, closed by {@code Connection: close}: llama-server closes the connection of
 * every streamed answer while its headers offer keep-alive, and a pooling client such as
 * {@code java.net.http} could send the next request into that close.
 */
final class StreamedChat {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TIMEOUT_MILLIS = 60_000;
    private static final String DATA = "data: ";

    /**
     * One answer, its instants from {@link System#nanoTime()}.
     *
     * @param completionTokens what the last chunk's usage counted; -1 without one
     */
    record Answer(long sentNanos, long firstEventNanos, long endNanos, int completionTokens) {
        double firstEventMillis() {
            return (firstEventNanos - sentNanos) / 1e6;
        }
    }

    private StreamedChat() {}

    /** The body the job sends for a prompt record with this prompt and {@code max_tokens}: streamed, with usage. */
    static byte[] body(String model, String prompt, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("max_tokens", maxTokens).put("model", model).put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a chat body", e);
        }
    }

    /**
     * Posts a body to {@code <baseUrl>/chat/completions} and reads the stream to its end.
     *
     * @throws IOException if the server answers other than 200 or the stream ends without {@code [DONE]}
     */
    static Answer send(URI baseUrl, byte[] body) throws IOException {
        long sent = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(new InetSocketAddress(baseUrl.getHost(), baseUrl.getPort()), TIMEOUT_MILLIS);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            String head = "POST " + baseUrl.getPath() + "/chat/completions HTTP/1.1\r\n"
                    + "Host: " + baseUrl.getHost() + ":" + baseUrl.getPort() + "\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Accept: text/event-stream\r\n"
                    + "Content-Length: " + body.length + "\r\n"
                    + "Connection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();

            InputStream in = new BufferedInputStream(socket.getInputStream());
            String status = line(in);
            boolean chunked = false;
            for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                String lower = header.toLowerCase(Locale.ROOT);
                chunked |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
            }
            InputStream events = chunked ? new ChunkedBody(in) : in;
            if (status == null || !status.startsWith("HTTP/1.1 200")) {
                throw new IOException(baseUrl + " answered " + status + ": " + new String(events.readAllBytes(),
                        StandardCharsets.UTF_8));
            }
            long firstEvent = -1;
            int completionTokens = -1;
            for (String line = line(events); line != null; line = line(events)) {
                if (!line.startsWith(DATA)) {
                    continue;
                }
                if (firstEvent < 0) {
                    firstEvent = System.nanoTime();
                }
                String data = line.substring(DATA.length());
                if (data.equals("[DONE]")) {
                    return new Answer(sent, firstEvent, System.nanoTime(), completionTokens);
                }
                if (data.contains("\"usage\"")) {
                    JsonNode usage = JSON.readTree(data).path("usage");
                    completionTokens = usage.path("completion_tokens").asInt(completionTokens);
                }
            }
            throw new IOException(baseUrl + " ended the stream without data: [DONE]");
        }
    }

    /** A line without its CR LF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b = in.read();
        if (b < 0) {
            return null;
        }
        while (b >= 0 && b != '\n') {
            line.write(b);
            b = in.read();
        }
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** A body in HTTP/1.1 chunked transfer coding, decoded; trailers are not read. */
    private static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private long left;
        private boolean started;
        private boolean ended;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (left == 0 && !nextChunk()) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed inside a chunk");
            }
            left--;
            return b;
        }

        /** Moves to the next chunk's data; false at the last (empty) chunk. */
        private boolean nextChunk() throws IOException {
            if (ended) {
                return false;
            }
            if (started) {
                line(in);  // The CR LF after the previous chunk's data.
            }
            started = true;
            String size = line(in);
            if (size == null) {
                throw new IOException("the connection closed before the last chunk");
            }
            int extension = size.indexOf(';');
            left = Long.parseLong((extension < 0 ? size : size.substring(0, extension)).trim(), 16);
            ended = left == 0;
            return !ended;
        }
    }
}
