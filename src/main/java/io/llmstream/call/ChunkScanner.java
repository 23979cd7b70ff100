package io.llmstream.call;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the common shape of a {@code chat.completion.chunk} straight from its bytes, without a general
 * JSON parser: the first choice's content delta and finish reason and the usage, every other field
 * skipped. A stream has an event per token or two, so setting up a parser for each one would be most of
 * the cost of reading a streamed answer.
 *
 * <p>It declines ({@link #scan} returns false) whatever it does not read itself — tool calls, an
 * {@code error} object, an index that is not a plain integer, anything that is not well-formed JSON — and
 * the caller then reads the event with Jackson, which also words the failure. Declining leaves the content
 * it may already have appended for the caller to cut back. One instance per stream; not thread-safe.
 */
final class ChunkScanner {
    private static final byte[] CHOICES = bytes("choices");
    private static final byte[] USAGE = bytes("usage");
    private static final byte[] ERROR = bytes("error");
    private static final byte[] INDEX = bytes("index");
    private static final byte[] DELTA = bytes("delta");
    private static final byte[] CONTENT = bytes("content");
    private static final byte[] TOOL_CALLS = bytes("tool_calls");
    private static final byte[] FINISH_REASON = bytes("finish_reason");
    private static final byte[] PROMPT_TOKENS = bytes("prompt_tokens");
    private static final byte[] COMPLETION_TOKENS = bytes("completion_tokens");
    private static final byte[] TOTAL_TOKENS = bytes("total_tokens");
    private static final byte[] TRUE = bytes("true");
    private static final byte[] FALSE = bytes("false");
    private static final byte[] NULL = bytes("null");
    /** Usage counts that were absent or not integers, as the Jackson path leaves them. */
    static final int NO_COUNT = -1;
    private static final int NO_TOTAL = Integer.MIN_VALUE;

    /** Thrown to decline; no stack trace, it is control flow. */
    private static final class Decline extends RuntimeException {
        Decline() {
            super(null, null, false, false);
        }
    }

    private static final Decline DECLINE = new Decline();

    private byte[] buffer;
    private int position;
    private int end;

    /** Whether the event's first choice carried content (possibly empty). */
    private boolean hasContent;
    /** The first choice's finish reason in this event, or null. */
    private String finishReason;
    private boolean usageSeen;
    private int promptTokens;
    private int completionTokens;
    private int totalTokens;

    /**
     * Reads one event's data, appending the first choice's content to {@code content}; false when it
     * declines. What it read is then in the accessors until the next call.
     */
    boolean scan(byte[] data, int offset, int length, StringBuilder content) {
        buffer = data;
        position = offset;
        end = offset + length;
        hasContent = false;
        finishReason = null;
        usageSeen = false;
        try {
            root(content);
            return true;
        } catch (Decline declined) {
            return false;
        } finally {
            buffer = null;
        }
    }

    boolean hasContent() {
        return hasContent;
    }

    String finishReason() {
        return finishReason;
    }

    boolean usageSeen() {
        return usageSeen;
    }

    int promptTokens() {
        return promptTokens;
    }

    int completionTokens() {
        return completionTokens;
    }

    /** The total as the server gave it, or the sum of the two counts, or {@link #NO_COUNT}. */
    int totalTokens() {
        if (totalTokens != NO_TOTAL) {
            return totalTokens;
        }
        return promptTokens >= 0 && completionTokens >= 0 ? promptTokens + completionTokens : NO_COUNT;
    }

    private void root(StringBuilder content) {
        expect('{');
        if (nextIs('}')) {
            return;
        }
        do {
            int keyStart = key();
            int keyEnd = position - 1;
            expectColon();
            if (is(keyStart, keyEnd, CHOICES)) {
                choices(content);
            } else if (is(keyStart, keyEnd, USAGE)) {
                usage();
            } else if (is(keyStart, keyEnd, ERROR)) {
                throw DECLINE;
            } else {
                skipValue();
            }
        } while (commaOr('}'));
    }

    private void choices(StringBuilder content) {
        skipBlanks();
        if (peek() != '[') {
            skipValue();
            return;
        }
        position++;
        if (nextIs(']')) {
            return;
        }
        do {
            choice(content);
        } while (commaOr(']'));
    }

    private void choice(StringBuilder content) {
        expect('{');
        if (nextIs('}')) {
            return;
        }
        int contentStart = content.length();
        int index = 0;
        boolean choiceHasContent = false;
        String choiceFinish = null;
        do {
            int keyStart = key();
            int keyEnd = position - 1;
            expectColon();
            if (is(keyStart, keyEnd, INDEX)) {
                skipBlanks();
                index = integer();
            } else if (is(keyStart, keyEnd, FINISH_REASON)) {
                skipBlanks();
                if (peek() == '"') {
                    position++;
                    choiceFinish = string();
                } else {
                    skipValue();
                }
            } else if (is(keyStart, keyEnd, DELTA)) {
                choiceHasContent |= delta(content);
            } else {
                skipValue();
            }
        } while (commaOr('}'));
        if (index != 0) {
            content.setLength(contentStart);
            return;
        }
        hasContent |= choiceHasContent;
        if (choiceFinish != null) {
            finishReason = choiceFinish;
        }
    }

    /** A choice's delta; whether it carried content. */
    private boolean delta(StringBuilder content) {
        skipBlanks();
        if (peek() != '{') {
            skipValue();
            return false;
        }
        position++;
        if (nextIs('}')) {
            return false;
        }
        boolean carried = false;
        do {
            int keyStart = key();
            int keyEnd = position - 1;
            expectColon();
            if (is(keyStart, keyEnd, CONTENT)) {
                skipBlanks();
                if (peek() == '"') {
                    position++;
                    appendString(content);
                    carried = true;
                } else {
                    skipValue();
                }
            } else if (is(keyStart, keyEnd, TOOL_CALLS)) {
                throw DECLINE;
            } else {
                skipValue();
            }
        } while (commaOr('}'));
        return carried;
    }

    private void usage() {
        skipBlanks();
        if (peek() != '{') {
            skipValue();
            return;
        }
        position++;
        int prompt = NO_COUNT;
        int completion = NO_COUNT;
        int total = NO_TOTAL;
        if (!nextIs('}')) {
            do {
                int keyStart = key();
                int keyEnd = position - 1;
                expectColon();
                if (is(keyStart, keyEnd, PROMPT_TOKENS)) {
                    prompt = countOr(NO_COUNT);
                } else if (is(keyStart, keyEnd, COMPLETION_TOKENS)) {
                    completion = countOr(NO_COUNT);
                } else if (is(keyStart, keyEnd, TOTAL_TOKENS)) {
                    total = countOr(NO_TOTAL);
                } else {
                    skipValue();
                }
            } while (commaOr('}'));
        }
        usageSeen = true;
        promptTokens = prompt;
        completionTokens = completion;
        totalTokens = total;
    }

    /** An integer count, or {@code otherwise} for any other value (skipped). */
    private int countOr(int otherwise) {
        skipBlanks();
        byte first = peek();
        if (first == '-' || (first >= '0' && first <= '9')) {
            return integer();
        }
        skipValue();
        return otherwise;
    }

    /** A plain integer that fits an int; declines a fraction, an exponent or anything larger. */
    private int integer() {
        boolean negative = peek() == '-';
        if (negative) {
            position++;
        }
        int start = position;
        long value = 0;
        while (position < end) {
            byte b = buffer[position];
            if (b < '0' || b > '9') {
                break;
            }
            value = value * 10 + (b - '0');
            if (value > Integer.MAX_VALUE) {
                throw DECLINE;
            }
            position++;
        }
        int digits = position - start;
        if (digits == 0 || (digits > 1 && buffer[start] == '0')) {
            throw DECLINE;
        }
        if (position < end) {
            byte next = buffer[position];
            if (next == '.' || next == 'e' || next == 'E') {
                throw DECLINE;
            }
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
    private void skipValue() {
        skipBlanks();
        byte first = peek();
        switch (first) {
            case '"' -> {
                position++;
                skipString();
            }
            case '{' -> {
                position++;
                if (nextIs('}')) {
                    return;
                }
                do {
                    key();
                    expectColon();
                    skipValue();
                } while (commaOr('}'));
            }
            case '[' -> {
                position++;
                if (nextIs(']')) {
                    return;
                }
                do {
                    skipValue();
                } while (commaOr(']'));
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
        int start = position;
        if (peek() == '-') {
            position++;
        }
        int digitsStart = position;
        while (position < end && isDigit(buffer[position])) {
            position++;
        }
        if (position == digitsStart || (position - digitsStart > 1 && buffer[digitsStart] == '0')) {
            throw DECLINE;
        }
        if (position < end && buffer[position] == '.') {
            position++;
            int fraction = position;
            while (position < end && isDigit(buffer[position])) {
                position++;
            }
            if (position == fraction) {
                throw DECLINE;
            }
        }
        if (position < end && (buffer[position] == 'e' || buffer[position] == 'E')) {
            position++;
            if (position < end && (buffer[position] == '+' || buffer[position] == '-')) {
                position++;
            }
            int exponent = position;
            while (position < end && isDigit(buffer[position])) {
                position++;
            }
            if (position == exponent) {
                throw DECLINE;
            }
        }
        if (position == start) {
            throw DECLINE;
        }
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private void literal(byte[] word) {
        if (end - position < word.length || !Arrays.equals(buffer, position, position + word.length, word, 0, word.length)) {
            throw DECLINE;
        }
        position += word.length;
    }

    /** A key with its quotes; returns where its text starts (it ends before {@code position - 1}). Escapes decline. */
    private int key() {
        expect('"');
        int start = position;
        while (true) {
            byte b = next();
            if (b == '"') {
                return start;
            }
            if (b == '\\' || (b >= 0 && b < 0x20)) {
                throw DECLINE;
            }
        }
    }

    private boolean is(int start, int end, byte[] name) {
        return Arrays.equals(buffer, start, end, name, 0, name.length);
    }

    private void expectColon() {
        expect(':');
    }

    /** After a member: true at a comma (another follows), false at {@code close}. */
    private boolean commaOr(char close) {
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

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }
}
