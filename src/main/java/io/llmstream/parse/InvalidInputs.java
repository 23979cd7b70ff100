package io.llmstream.parse;

import io.llmstream.record.DeadLetter;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;

import java.nio.charset.StandardCharsets;

/**
 * Dead letters for input that cannot be asked: the reason, and the value as text. A value larger than a record may
 * be keeps only its first bytes (not cutting a UTF-8 sequence): the dead-letter sink could write no more, and
 * megabytes need not travel through the job to be cut there.
 */
final class InvalidInputs {
    private final int maxBytes;

    /** @param maxBytes the most bytes a record may have at the sink ({@code kafka.max-request-size}) */
    InvalidInputs(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * A dead letter for a value read at {@code position}, with its text if decoded ({@code text} null if not);
     * {@code value} null for a record without one.
     */
    ParsedInput of(String id, String message, String text, byte[] value, SourcePosition position) {
        String input = null;
        if (value != null && value.length > maxBytes) {
            input = decodedPrefix(value, maxBytes);
        } else if (value != null) {
            input = text != null ? text : new String(value, StandardCharsets.UTF_8);
        }
        return ParsedInput.invalid(DeadLetter.invalidInput(id, message, input, value == null ? 0 : value.length,
                value != null && value.length > maxBytes, position));
    }

    /** The text of at most the first {@code maxBytes} bytes of a longer value, not cutting a UTF-8 sequence. */
    private static String decodedPrefix(byte[] value, int maxBytes) {
        int end = maxBytes;
        for (int back = 0; back < 3 && end > 0 && (value[end] & 0xC0) == 0x80; back++) {
            end--;
        }
        return new String(value, 0, end, StandardCharsets.UTF_8);
    }
}
