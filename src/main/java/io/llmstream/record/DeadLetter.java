package io.llmstream.record;

/**
 * A prompt that could not be completed, with the story of why.
 *
 * @param status the last HTTP status; 0 if there was none
 * @param code the provider's error code (e.g. {@code context_length_exceeded}); null if none
 * @param model the model it was sent to; null if it never got that far
 * @param keyId the id of the API key last used (never the key); null if none
 * @param elapsedMs time from admission to giving up
 * @param input the original input value
 * @param source where the input was read
 */
public record DeadLetter(
        String id,
        ErrorKind kind,
        int status,
        String code,
        String message,
        int attempts,
        String model,
        String keyId,
        long elapsedMs,
        String input,
        SourcePosition source) {

    /** A dead letter for input that never became a request. */
    public static DeadLetter invalidInput(String id, String message, String input, SourcePosition source) {
        return new DeadLetter(id, ErrorKind.INVALID_INPUT, 0, null, message, 0, null, null, 0, input, source);
    }
}
