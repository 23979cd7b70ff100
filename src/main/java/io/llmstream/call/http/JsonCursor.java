package io.llmstream.call.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cursor over the bytes of one JSON value, for readers that pick a few fields out of a known shape and
 * skip the rest: members by name without making strings of them, strings decoded (escapes, UTF-8) only
 * where wanted, every skipped value checked to be well formed. Whatever it does not take — malformed JSON,
 * a key with escapes, a number where an int is wanted that is not one — it declines by throwing
 * {@link Decline}, for the caller to read the value some other way. Not thread-safe.
 */
final class JsonCursor {
    private static final byte[] TRUE = bytes("true");
    private static final byte[] FALSE = bytes("false");
    private static final byte[] NULL = bytes("null");

    /** Thrown to decline; no stack trace, it is control flow. */
    static final class Decline extends RuntimeException {
        private Decline() {
            super(null, null, false, false);
        }
    }

    private static final Decline DECLINE = new Decline();

    private byte[] buffer;
    private int position;
    private int end;
    private int keyStart;
    private int keyEnd;

    /** Reads {@code length} bytes from {@code offset} on; only those, whatever the array holds around them. */
    void reset(byte[] data, int offset, int length) {
        buffer = data;
        position = offset;
        end = offset + length;
    }

    /** Lets go of the bytes. */
    void clear() {
        buffer = null;
    }

    static Decline decline() {
        return DECLINE;
    }

    /** Enters an object, which must come next; whether it has members. */
    boolean enterObject() {
        expect('{');
        return !nextIs('}');
    }

    /** Enters an array, which must come next; whether it has elements. */
    boolean enterArray() {
        expect('[');
        return !nextIs(']');
    }

    /** Whether the next value starts with {@code c}, blanks aside; nothing is consumed. */
    boolean isNext(char c) {
        skipBlanks();
        return peek() == c;
    }

    /** Reads a member's key and its colon; {@link #memberIs} then tells which it is. Escapes decline. */
    void member() {
        expect('"');
        keyStart = position;
        while (true) {
            byte b = next();
            if (b == '"') {
                keyEnd = position - 1;
                break;
            }
            if (b == '\\' || (b >= 0 && b < 0x20)) {
                throw DECLINE;
            }
        }
        expect(':');
    }

    /** Whether the member just read has this name. */
    boolean memberIs(byte[] name) {
        return Arrays.equals(buffer, keyStart, keyEnd, name, 0, name.length);
    }


    /** The next value's text if it is a string; otherwise the value is skipped and the answer is null. */
    String stringOrSkip() {
        if (!isNext('"')) {
            skipValue();
            return null;
        }
        position++;
        return string();
    }

    /** Appends the next value's text if it is a string and says so; otherwise skips the value. */
    boolean appendStringOrSkip(StringBuilder target) {
        if (!isNext('"')) {
            skipValue();
            return false;
        }
        position++;
        appendString(target);
        return true;
    }

    /** The next value if it is an integer (as {@link #integer}); otherwise {@code otherwise}, the value skipped. */
    int integerOr(int otherwise) {
        skipBlanks();
        byte first = peek();
        if (first == '-' || (first >= '0' && first <= '9')) {
            return integer();
        }
        skipValue();
        return otherwise;
    }

    /** A plain integer that fits an int, after blanks; declines a fraction, an exponent or anything larger. */
    int integer() {
        skipBlanks();
        boolean negative = skipIf('-');
        int start = position;
        int digits = skipDigits();
        if (digits == 0 || digits > 10 || (digits > 1 && buffer[start] == '0')
                || (position < end && (buffer[position] == '.' || buffer[position] == 'e' || buffer[position] == 'E'))) {
            throw DECLINE;
        }
        long value = 0;
        for (int i = start; i < position; i++) {
            value = value * 10 + (buffer[i] - '0');
        }
        if (value > Integer.MAX_VALUE) {
            throw DECLINE;
        }
        return (int) (negative ? -value : value);
    }

    /** After the opening quote: the string's text, read as {@link #appendString} does. */
    private String string() {
        int start = position;
        while (position < end) {
            byte b = buffer[position];
            if (b == '"') {
                String text = new String(buffer, start, position - start, StandardCharsets.ISO_8859_1);
                position++;
                return text;
            }
            if (b == '\\' || b < 0x20) {
                break;
            }
            position++;
        }
        // Escapes or other than ASCII: the general way.
        position = start;
        StringBuilder text = new StringBuilder();
        appendString(text);
        return text.toString();
    }

    /** After the opening quote: appends the string's characters, escapes and UTF-8 decoded, past the closing quote. */
    private void appendString(StringBuilder target) {
        while (true) {
            int b = next();
            if (b == '"') {
                return;
            }
            if (b == '\\') {
                target.append(escaped());
            } else if (b >= 0x20) {
                target.append((char) b);
            } else if (b < 0) {
                appendMultiByte(target, b);
            } else {
                throw DECLINE;  // a control character must be escaped
            }
        }
    }

    private char escaped() {
        byte b = next();
        return switch (b) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '/' -> '/';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> (char) ((hex() << 12) | (hex() << 8) | (hex() << 4) | hex());
            default -> throw DECLINE;
        };
    }

    private int hex() {
        int b = next();
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        throw DECLINE;
    }

    /** A UTF-8 sequence of two to four bytes whose lead byte was read; declines one that is not valid. */
    private void appendMultiByte(StringBuilder target, int lead) {
        int continuations;
        int codePoint;
        int min;
        if ((lead & 0xE0) == 0xC0) {
            continuations = 1;
            codePoint = lead & 0x1F;
            min = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            continuations = 2;
            codePoint = lead & 0x0F;
            min = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            continuations = 3;
            codePoint = lead & 0x07;
            min = 0x10000;
        } else {
            throw DECLINE;
        }
        for (int i = 0; i < continuations; i++) {
            int b = next();
            if ((b & 0xC0) != 0x80) {
                throw DECLINE;
            }
            codePoint = (codePoint << 6) | (b & 0x3F);
        }
        if (codePoint < min || codePoint > Character.MAX_CODE_POINT
                || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)) {
            throw DECLINE;
        }
        target.appendCodePoint(codePoint);
    }

    /** Skips one value of any kind, checking that it is well formed. */
    void skipValue() {
        skipBlanks();
        byte first = peek();
        switch (first) {
            case '"' -> {
                position++;
                skipString();
            }
            case '{' -> {
                if (enterObject()) {
                    do {
                        member();
                        skipValue();
                    } while (more('}'));
                }
            }
            case '[' -> {
                if (enterArray()) {
                    do {
                        skipValue();
                    } while (more(']'));
                }
            }
            case 't' -> literal(TRUE);
            case 'f' -> literal(FALSE);
            case 'n' -> literal(NULL);
            default -> skipNumber();
        }
    }

    private void skipString() {
        while (true) {
            byte b = next();
            if (b == '"') {
                return;
            }
            if (b == '\\') {
                escaped();
            } else if (b >= 0 && b < 0x20) {
                throw DECLINE;
            }
        }
    }

    private void skipNumber() {
        skipIf('-');
        int digitsStart = position;
        int digits = skipDigits();
        if (digits == 0 || (digits > 1 && buffer[digitsStart] == '0')) {
            throw DECLINE;
        }
        if (skipIf('.') && skipDigits() == 0) {
            throw DECLINE;
        }
        if (skipIf('e') || skipIf('E')) {
            if (!skipIf('+')) {
                skipIf('-');
            }
            if (skipDigits() == 0) {
                throw DECLINE;
            }
        }
    }

    /** Skips digits; how many. */
    private int skipDigits() {
        int start = position;
        while (position < end && buffer[position] >= '0' && buffer[position] <= '9') {
            position++;
        }
        return position - start;
    }

    /** Consumes {@code c} if it comes next (no blanks skipped). */
    private boolean skipIf(char c) {
        if (position < end && buffer[position] == c) {
            position++;
            return true;
        }
        return false;
    }

    private void literal(byte[] word) {
        if (end - position < word.length || !Arrays.equals(buffer, position, position + word.length, word, 0, word.length)) {
            throw DECLINE;
        }
        position += word.length;
    }

    /** After a member or an element: true at a comma (another follows), false at {@code close}. */
    boolean more(char close) {
        skipBlanks();
        byte b = next();
        if (b == ',') {
            return true;
        }
        if (b == close) {
            return false;
        }
        throw DECLINE;
    }

    /** Skips blanks; consumes {@code c} if it is next. */
    private boolean nextIs(char c) {
        skipBlanks();
        if (position < end && buffer[position] == c) {
            position++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        skipBlanks();
        if (position >= end || buffer[position] != c) {
            throw DECLINE;
        }
        position++;
    }

    /** The next byte, consumed; declines at the end of the data. */
    private byte next() {
        if (position >= end) {
            throw DECLINE;
        }
        return buffer[position++];
    }

    private byte peek() {
        if (position >= end) {
            throw DECLINE;
        }
        return buffer[position];
    }

    private void skipBlanks() {
        while (position < end) {
            byte b = buffer[position];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return;
            }
            position++;
        }
    }

    static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }
}
