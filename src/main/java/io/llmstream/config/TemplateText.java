package io.llmstream.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A template string compiled once into literal text and placeholders ({@code {{field.path}}}), so that
 * rendering is one pass over the parts: a value that itself contains {@code {{...}}} is inserted as it is
 * and never expanded again.
 *
 * @param literals the text around the placeholders: one more than there are placeholders
 * @param placeholders the fields named, in order
 */
public record TemplateText(String source, List<String> literals, List<FieldPath> placeholders)
        implements Serializable {

    private static final String OPEN = "{{";
    private static final String CLOSE = "}}";

    /**
     * Compiles a template; {@code key} names it in errors.
     *
     * @throws ConfigException on an unclosed {@code {{}, a stray {@code }}} or a placeholder that is not a
     *     dotted path
     */
    public static TemplateText compile(String key, String source) {
        List<String> literals = new ArrayList<>();
        List<FieldPath> placeholders = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int at = 0;
        while (at < source.length()) {
            int open = source.indexOf(OPEN, at);
            int strayClose = source.indexOf(CLOSE, at);
            if (strayClose >= 0 && (open < 0 || strayClose < open)) {
                throw new ConfigException(key + " has '}}' without '{{' at character " + strayClose + ": "
                        + excerpt(source, strayClose) + "; placeholders look like {{field}} or {{field.nested}}");
            }
            if (open < 0) {
                literal.append(source, at, source.length());
                break;
            }
            literal.append(source, at, open);
            int close = source.indexOf(CLOSE, open + OPEN.length());
            if (close < 0) {
                throw new ConfigException(key + " has an unclosed placeholder at character " + open + ": "
                        + excerpt(source, open) + "; placeholders look like {{field}} or {{field.nested}}");
            }
            String name = source.substring(open + OPEN.length(), close).trim();
            String problem = FieldPath.problem(name);
            if (problem != null) {
                throw new ConfigException(key + " has an invalid placeholder '" + source.substring(open, close + 2)
                        + "': " + problem + "; placeholders look like {{field}}, {{user.name}} or {{tags.0}}");
            }
            literals.add(literal.toString());
            literal.setLength(0);
            placeholders.add(FieldPath.parse(name));
            at = close + CLOSE.length();
        }
        literals.add(literal.toString());
        return new TemplateText(source, List.copyOf(literals), List.copyOf(placeholders));
    }

    /** Whether the template is one placeholder and nothing else, such as {@code "{{model}}"}. */
    public boolean isSinglePlaceholder() {
        return placeholders.size() == 1 && literals.get(0).isEmpty() && literals.get(1).isEmpty();
    }

    /** Whether the template is plain text without placeholders. */
    public boolean isLiteral() {
        return placeholders.isEmpty();
    }

    private static String excerpt(String source, int at) {
        String tail = source.substring(at);
        return "'" + (tail.length() > 30 ? tail.substring(0, 30) + "..." : tail) + "'";
    }
}
