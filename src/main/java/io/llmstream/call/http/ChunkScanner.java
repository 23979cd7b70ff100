package io.llmstream.call.http;

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
    private static final byte[] CHOICES = JsonCursor.bytes("choices");
    private static final byte[] USAGE = JsonCursor.bytes("usage");
    private static final byte[] ERROR = JsonCursor.bytes("error");
    private static final byte[] INDEX = JsonCursor.bytes("index");
    private static final byte[] DELTA = JsonCursor.bytes("delta");
    private static final byte[] CONTENT = JsonCursor.bytes("content");
    private static final byte[] TOOL_CALLS = JsonCursor.bytes("tool_calls");
    private static final byte[] FINISH_REASON = JsonCursor.bytes("finish_reason");
    private static final byte[] PROMPT_TOKENS = JsonCursor.bytes("prompt_tokens");
    private static final byte[] COMPLETION_TOKENS = JsonCursor.bytes("completion_tokens");
    private static final byte[] TOTAL_TOKENS = JsonCursor.bytes("total_tokens");
    /** Usage counts that were absent or not integers, as the Jackson path leaves them. */
    static final int NO_COUNT = -1;
    /** A total that was absent or not an integer: then it is the sum of the other two. */
    static final int NO_TOTAL = Integer.MIN_VALUE;

    private final JsonCursor json = new JsonCursor();
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
        json.reset(data, offset, length);
        hasContent = false;
        finishReason = null;
        usageSeen = false;
        try {
            root(content);
            return true;
        } catch (JsonCursor.Decline declined) {
            return false;
        } finally {
            json.clear();
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
        return total(promptTokens, completionTokens, totalTokens);
    }

    /** A usage's total: as given, or else the sum of the prompt and completion counts when both are known. */
    static int total(int prompt, int completion, int given) {
        if (given != NO_TOTAL) {
            return given;
        }
        return prompt >= 0 && completion >= 0 ? prompt + completion : NO_COUNT;
    }

    private void root(StringBuilder content) {
        if (!json.enterObject()) {
            return;
        }
        do {
            json.member();
            if (json.memberIs(CHOICES)) {
                choices(content);
            } else if (json.memberIs(USAGE)) {
                usage();
            } else if (json.memberIs(ERROR)) {
                throw JsonCursor.decline();
            } else {
                json.skipValue();
            }
        } while (json.more('}'));
    }

    private void choices(StringBuilder content) {
        if (!json.isNext('[')) {
            json.skipValue();
            return;
        }
        if (!json.enterArray()) {
            return;
        }
        do {
            choice(content);
        } while (json.more(']'));
    }

    private void choice(StringBuilder content) {
        if (!json.enterObject()) {
            return;
        }
        int contentStart = content.length();
        int index = 0;
        boolean choiceHasContent = false;
        String choiceFinish = null;
        do {
            json.member();
            if (json.memberIs(INDEX)) {
                index = json.integer();
            } else if (json.memberIs(FINISH_REASON)) {
                String finish = json.stringOrSkip();
                choiceFinish = finish != null ? finish : choiceFinish;
            } else if (json.memberIs(DELTA)) {
                choiceHasContent |= delta(content);
            } else {
                json.skipValue();
            }
        } while (json.more('}'));
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
        if (!json.isNext('{')) {
            json.skipValue();
            return false;
        }
        if (!json.enterObject()) {
            return false;
        }
        boolean carried = false;
        do {
            json.member();
            if (json.memberIs(CONTENT)) {
                carried |= json.appendStringOrSkip(content);
            } else if (json.memberIs(TOOL_CALLS)) {
                throw JsonCursor.decline();
            } else {
                json.skipValue();
            }
        } while (json.more('}'));
        return carried;
    }

    private void usage() {
        if (!json.isNext('{')) {
            json.skipValue();
            return;
        }
        int prompt = NO_COUNT;
        int completion = NO_COUNT;
        int total = NO_TOTAL;
        if (json.enterObject()) {
            do {
                json.member();
                if (json.memberIs(PROMPT_TOKENS)) {
                    prompt = json.integerOr(NO_COUNT);
                } else if (json.memberIs(COMPLETION_TOKENS)) {
                    completion = json.integerOr(NO_COUNT);
                } else if (json.memberIs(TOTAL_TOKENS)) {
                    total = json.integerOr(NO_TOTAL);
                } else {
                    json.skipValue();
                }
            } while (json.more('}'));
        }
        usageSeen = true;
        promptTokens = prompt;
        completionTokens = completion;
        totalTokens = total;
    }
}
