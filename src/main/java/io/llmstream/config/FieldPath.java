package io.llmstream.config;

import java.io.Serializable;
import java.util.List;

/**
 * A dotted path into a JSON record, such as {@code user.name} or {@code tags.0}: object fields by name,
 * array elements by index. Field names with a dot, braces or white space cannot be named.
 */
public record FieldPath(String text, List<String> segments) implements Serializable {

    /** The path, or null with {@link #problem} saying why it is not one. */
    public static FieldPath parse(String text) {
        return problem(text) == null ? new FieldPath(text, List.of(text.split("\\.", -1))) : null;
    }

    /** Why {@code text} is not a dotted path, or null if it is one. */
    public static String problem(String text) {
        if (text == null || text.isEmpty()) {
            return "an empty path";
        }
        for (String segment : text.split("\\.", -1)) {
            if (segment.isEmpty()) {
                return "a path with an empty segment (two dots, or a dot at an end)";
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c == '{' || c == '}' || Character.isWhitespace(c)) {
                    return "a path with '" + c + "' in it (names are separated by dots and cannot hold braces or "
                            + "white space)";
                }
            }
        }
        return null;
    }

    /** Whether a segment can be an array index. */
    public static boolean isIndex(String segment) {
        if (segment.isEmpty() || segment.length() > 9) {
            return false;
        }
        for (int i = 0; i < segment.length(); i++) {
            if (!Character.isDigit(segment.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
