package io.llmstream.call;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} body as it arrives, in pieces cut anywhere, and hands on the data of
 * each event: lines end in LF, CRLF or CR, an empty line ends an event, several {@code data:} lines join
 * with LF, and comments ({@code :}) and the other fields ({@code event}, {@code id}, {@code retry}) are
 * skipped. Lines are cut on bytes before they are decoded, which is safe for UTF-8: a line break byte
 * never occurs inside a multi-byte character. Not thread-safe; the HTTP client delivers one body part at
 * a time.
 */
final class ServerSentEvents {
    private static final byte LF = '\n';
    private static final byte CR = '\r';

    private final Consumer<String> onData;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private boolean afterCr;

    ServerSentEvents(Consumer<String> onData) {
        this.onData = onData;
    }

    /** Reads the next piece of the body. */
    void feed(ByteBuffer bytes) {
        while (bytes.hasRemaining()) {
            int start = bytes.position();
            int end = bytes.limit();
            int lineEnd = start;
            while (lineEnd < end) {
                byte b = bytes.get(lineEnd);
                if (b == LF || b == CR) {
                    break;
                }
                lineEnd++;
            }
            if (lineEnd > start) {
                afterCr = false;
                appendToLine(bytes, start, lineEnd - start);
            }
            bytes.position(lineEnd);
            if (lineEnd == end) {
                return;
            }
            byte lineBreak = bytes.get();
            if (afterCr && lineBreak == LF) {
                afterCr = false;
                continue;
            }
            afterCr = lineBreak == CR;
            endLine();
        }
    }

    private void appendToLine(ByteBuffer bytes, int offset, int length) {
        if (bytes.hasArray()) {
            line.write(bytes.array(), bytes.arrayOffset() + offset, length);
        } else {
            for (int i = offset; i < offset + length; i++) {
                line.write(bytes.get(i));
            }
        }
    }

    /**
     * The body ended. An event without its closing empty line still counts (the specification drops it),
     * so that a server that ends with {@code data: [DONE]} and no blank line is understood.
     */
    void end() {
        if (line.size() > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() {
        if (line.size() == 0) {
            dispatch();
            return;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.startsWith(":")) {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        if (!field.equals("data")) {
            return;
        }
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (hasData) {
            data.append('\n');
        }
        data.append(value);
        hasData = true;
    }

    private void dispatch() {
        if (hasData) {
            String event = data.toString();
            data.setLength(0);
            hasData = false;
            onData.accept(event);
        }
    }
}
