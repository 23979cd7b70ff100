package io.llmstream.batch;

/**
 * One of a failed batch's {@code errors.data}: {@code {"code", "message", "param", "line"}}.
 *
 * @param code for example {@code token_limit_exceeded}, {@code duplicate_custom_id}, {@code invalid_request}
 * @param line the input file's line it is about, from 1; 0 when it names none
 */
public record BatchError(String code, String message, int line) {
    public static final String TOKEN_LIMIT_EXCEEDED = "token_limit_exceeded";

    String describe() {
        return (code == null ? "error" : code) + (line > 0 ? " at line " + line : "")
                + (message == null ? "" : ": " + message);
    }
}
