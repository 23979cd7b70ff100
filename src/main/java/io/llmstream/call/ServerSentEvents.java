package io.llmstream.call;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reads a {@code text/event-stream} body as it arrives, in pieces cut anywhere, and hands on the data of
 * each event as bytes: lines end in LF, CRLF or CR, an empty line ends an event, several {@code data:}
 * lines join with LF, and comments ({@code :}) and the other fields ({@code event}, {@code id},
 * {@code retry}) are skipped. Lines are cut on bytes, which is safe for UTF-8: a line break byte never
 * occurs inside a multi-byte character. Two buffers are reused for every line and event, so reading a
 * stream allocates nothing per event. Not thread-safe; the HTTP client delivers one body part at a time.
 */
final class ServerSentEvents {
    private static final byte LF = '\n';
    private static final byte CR = '\r';
    private static final byte[] DATA = {'d', 'a', 't', 'a'};

    /** Receives an event's data; the bytes are valid only during the call. */
    interface DataHandler {
        void onData(byte[] data, int offset, int length);
    }

    private final DataHandler handler;
    private byte[] line = new byte[512];
    private int lineLength;
    private byte[] data = new byte[512];
    private int dataLength;
    private boolean hasData;
    private boolean afterCr;

    ServerSentEvents(DataHandler handler) {
        this.handler = handler;
    }

    /** Reads the next piece of the body. */
    void feed(ByteBuffer bytes) {
        int position = bytes.position();
        int end = bytes.limit();
        while (position < end) {
            int lineEnd = position;
            byte b = 0;
            while (lineEnd < end) {
                b = bytes.get(lineEnd);
                if (b == LF || b == CR) {
                    break;
                }
                lineEnd++;
            }
            if (lineEnd > position) {
                afterCr = false;
                appendToLine(bytes, position, lineEnd - position);
            }
            if (lineEnd == end) {
                break;
            }
            position = lineEnd + 1;
            if (afterCr && b == LF) {
                afterCr = false;
                continue;
            }
            afterCr = b == CR;
            endLine();
        }
        bytes.position(end);
    }

    private void appendToLine(ByteBuffer bytes, int offset, int length) {
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
        }
        bytes.get(offset, line, lineLength, length);
        lineLength += length;
    }

    /**
     * The body ended. An event without its closing empty line still counts (the specification drops it),
     * so that a server that ends with {@code data: [DONE]} and no blank line is understood.
     */
    void end() {
        if (lineLength > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() {
        int length = lineLength;
        lineLength = 0;
        if (length == 0) {
            dispatch();
            return;
        }
        if (line[0] == ':' || !isDataField(length)) {
            return;
        }
        int value = DATA.length;
        if (value < length) {
            value++;  // the colon
            if (value < length && line[value] == ' ') {
                value++;
            }
        }
        int valueLength = length - value;
        int needed = dataLength + (hasData ? 1 : 0) + valueLength;
        if (needed > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, needed));
        }
        if (hasData) {
            data[dataLength++] = LF;
        }
        System.arraycopy(line, value, data, dataLength, valueLength);
        dataLength += valueLength;
        hasData = true;
    }

    /** Whether the line's field is {@code data}: the whole line, or the part before its first colon. */
    private boolean isDataField(int length) {
        if (length < DATA.length) {
            return false;
        }
        for (int i = 0; i < DATA.length; i++) {
            if (line[i] != DATA[i]) {
                return false;
            }
        }
        return length == DATA.length || line[DATA.length] == ':';
    }

    private void dispatch() {
        if (hasData) {
            int length = dataLength;
            dataLength = 0;
            hasData = false;
            handler.onData(data, 0, length);
        }
    }
}
