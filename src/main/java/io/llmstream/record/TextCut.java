package io.llmstream.record;

/**
 * How much of a text fits a number of bytes when {@link RecordJson} writes it as a JSON string, so a
 * record can keep as much of a long text as its bound allows. A cut never splits a surrogate pair, so
 * what is kept is always a well-formed prefix.
 */
public final class TextCut {
    private TextCut() {}

    /**
     * The length of the longest prefix of {@code text} whose characters take at most {@code maxBytes} inside
     * a JSON string (quotes not counted); 0 if {@code maxBytes} is not positive.
     */
    public static int jsonPrefix(String text, long maxBytes) {
        long used = 0;
        int end = 0;
        while (end < text.length()) {
            char c = text.charAt(end);
            boolean pair = Character.isHighSurrogate(c) && end + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(end + 1));
            long bytes = pair ? jsonBytes(c) + jsonBytes(text.charAt(end + 1)) : jsonBytes(c);
            if (used + bytes > maxBytes) {
                break;
            }
            used += bytes;
            end += pair ? 2 : 1;
        }
        return end;
    }

    /** At most the first {@code maxChars} characters of {@code text}, one fewer if the cut would split a pair. */
    public static String charPrefix(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end);
    }

    /**
     * The bytes RecordJson's generator (Jackson, default escaping) writes for one character of a JSON
     * string: quote and backslash escaped in two, control characters in two (backslash n) or in a six-byte
     * unicode escape, each half of a surrogate pair in a six-byte unicode escape too (Jackson 2.18 does not
     * combine them by default), the rest as UTF-8. A test checks this against the generator itself.
     */
    static int jsonBytes(char c) {
        if (c < 0x20) {
            return c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r' ? 2 : 6;
        }
        if (c == '"' || c == '\\' || Character.isSurrogate(c)) {
            return c < 0x80 ? 2 : 6;
        }
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
}
