package io.llmstream.watch;

import org.apache.flink.util.SerializedThrowable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A failure as the chain of its exceptions, outermost first, each as class name and first line of message.
 * Flink wraps what went wrong in its own exceptions several times, so the innermost, the {@link #root()},
 * is what a person needs to read; the hints look at every link, since a client may wrap a telling error in
 * a generic one (KafkaException around the broker's refusal).
 */
public record FailureCause(List<Link> chain) {

    /** Longer messages are cut, so that a failure stays one line. */
    static final int MAX_MESSAGE_CHARS = 400;

    private static final String CAUSED_BY = "Caused by: ";

    /** One exception of the chain. */
    public record Link(String className, String message) {
        /** The class name without its package. */
        public String simpleName() {
            int dot = className.lastIndexOf('.');
            return dot < 0 ? className : className.substring(dot + 1);
        }

        /** {@code SimpleName: message}, or the name alone. */
        @Override
        public String toString() {
            return message.isEmpty() ? simpleName() : simpleName() + ": " + message;
        }
    }

    public FailureCause {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a failure cause needs at least one exception");
        }
        chain = Collections.unmodifiableList(new ArrayList<>(chain));
    }

    /**
     * The chain of a printed stack trace, as Flink's REST API gives it: the first line and every line that
     * starts with {@code Caused by: }. Causes of suppressed exceptions are indented and left out.
     */
    public static FailureCause fromStackTrace(String stackTrace) {
        List<Link> chain = new ArrayList<>();
        String[] lines = stackTrace.strip().split("\\R");
        if (lines.length > 0 && !lines[0].isBlank()) {
            chain.add(parseHeader(lines[0]));
        }
        for (String line : lines) {
            if (line.startsWith(CAUSED_BY)) {
                chain.add(parseHeader(line.substring(CAUSED_BY.length())));
            }
        }
        if (chain.isEmpty()) {
            chain.add(new Link("unknown", "(no stack trace)"));
        }
        return new FailureCause(chain);
    }

    /** The chain of a thrown exception; an exception Flink shipped as {@link SerializedThrowable} keeps its class. */
    public static FailureCause of(Throwable failure) {
        List<Link> chain = new ArrayList<>();
        Throwable current = failure;
        while (current != null && chain.size() < 100) {
            String className = current.getClass().getName();
            String message = current.getMessage();
            if (current instanceof SerializedThrowable) {
                // Its message is the original's toString(): the class name, then the message.
                className = ((SerializedThrowable) current).getOriginalErrorClassName();
                if (message != null && message.startsWith(className)) {
                    message = message.substring(className.length()).replaceFirst("^: ", "");
                }
            }
            chain.add(new Link(className, firstLine(message)));
            Throwable next = current.getCause();
            current = next == current ? null : next;
        }
        return new FailureCause(chain);
    }

    /** The innermost exception: the last {@code Caused by:}. */
    public Link root() {
        return chain.get(chain.size() - 1);
    }

    /** Whether an exception of the chain has this simple class name. */
    public boolean has(String simpleName) {
        return chain.stream().anyMatch(link -> link.simpleName().equals(simpleName));
    }

    /** Whether an exception of the chain has this fully qualified class name. */
    public boolean hasClass(String className) {
        return chain.stream().anyMatch(link -> link.className().equals(className));
    }

    /** Whether a message of the chain contains the text, ignoring case. */
    public boolean says(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        return chain.stream().anyMatch(link -> link.message().toLowerCase(Locale.ROOT).contains(lower));
    }

    @Override
    public String toString() {
        return root().toString();
    }

    /** {@code com.example.SomeException: message} → class and message; a line without a class is all message. */
    private static Link parseHeader(String header) {
        String line = header.strip();
        int colon = line.indexOf(": ");
        String name = colon < 0 ? line : line.substring(0, colon);
        if (name.isEmpty() || name.contains(" ")) {
            return new Link("unknown", firstLine(line));
        }
        return new Link(name, colon < 0 ? "" : firstLine(line.substring(colon + 2)));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String line = message.strip();
        int end = line.indexOf('\n');
        if (end >= 0) {
            line = line.substring(0, end).strip();
        }
        return line.length() <= MAX_MESSAGE_CHARS ? line : line.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
    }
}
