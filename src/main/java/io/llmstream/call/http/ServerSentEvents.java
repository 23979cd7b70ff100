package io.llmstream.call.http;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reads a {@code text/event-stream} body as it arrives, in pieces cut anywhere, and hands on the data of
 * each event as bytes: lines end in LF, CRLF or CR, an empty line ends an event, several {@code data:}
 * lines join with LF, and comments ({@code :}) and the other fields ({@code event}, {@code id},
 * {@code retry}) are skipped. Lines are cut on bytes, which is safe for UTF-8: a line break byte never
 * occurs inside a multi-byte character. An event of one {@code data:} line whose blank line arrived in
 * the same piece (the usual case) is handed on in place; the others are gathered in two buffers reused for
 * every line and event, so reading a stream allocates nothing per event. Not thread-safe; the HTTP client
 * delivers one body part at a time.
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
    /** For body parts that are not backed by an array. */
    private byte[] scratch = new byte[0];
    private int dataLength;
    private boolean hasData;
    private boolean afterCr;

    ServerSentEvents(DataHandler handler) {
        this.handler = handler;
    }

    /** Reads the next piece of the body. */
    void feed(ByteBuffer bytes) {
        if (bytes.hasArray()) {
            int base = bytes.arrayOffset();
            feed(bytes.array(), base + bytes.position(), base + bytes.limit());
        } else {
            int length = bytes.remaining();
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            bytes.get(bytes.position(), scratch, 0, length);
            feed(scratch, 0, length);
        }
        bytes.position(bytes.limit());
    }

    private void feed(byte[] bytes, int position, int end) {
        while (position < end) {
            if (lineLength == 0 && !hasData && !afterCr) {
                int next = wholeEvent(bytes, position, end);
                if (next > position) {
                    position = next;
                    continue;
                }
            }
            int lineEnd = position;
            byte b = 0;
            while (lineEnd < end) {
                b = bytes[lineEnd];
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
    }

    /**
     * The common case read in place: a single {@code data:} line and the blank line that ends its event,
     * both within this piece. Hands the data on straight from the piece and returns where the next event
     * starts, or returns {@code position} when the case does not apply and nothing was read.
     */
    private int wholeEvent(byte[] bytes, int position, int end) {
        int length = end - position;
        if (length < DATA.length + 3 || bytes[position] != 'd' || bytes[position + 1] != 'a'
                || bytes[position + 2] != 't' || bytes[position + 3] != 'a' || bytes[position + 4] != ':') {
            return position;
        }
        int value = position + DATA.length + 1;
        if (bytes[value] == ' ') {
            value++;
        }
        int lineEnd = value;
        while (lineEnd < end && bytes[lineEnd] != LF && bytes[lineEnd] != CR) {
            lineEnd++;
        }
        int blankEnd = blankLineAfter(bytes, lineEnd, end);
        if (blankEnd < 0) {
            return position;
        }
        handler.onData(bytes, value, lineEnd - value);
        return blankEnd;
    }

    /** Where the bytes after a line's end and an empty line's end continue; -1 unless both are here. */
    private static int blankLineAfter(byte[] bytes, int lineEnd, int end) {
        int next = lineBreakEnd(bytes, lineEnd, end);
        return next < 0 ? -1 : lineBreakEnd(bytes, next, end);
    }

    /** Past the LF, CR or CRLF at {@code at}; -1 if there is none or a CR might yet be followed by LF. */
    private static int lineBreakEnd(byte[] bytes, int at, int end) {
        if (at >= end) {
            return -1;
        }
        if (bytes[at] == LF) {
            return at + 1;
        }
        if (bytes[at] != CR || at + 1 >= end) {
            return -1;
        }
        return bytes[at + 1] == LF ? at + 2 : at + 1;
    }

    private void appendToLine(byte[] bytes, int offset, int length) {
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
        }
        System.arraycopy(bytes, offset, line, lineLength, length);
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
