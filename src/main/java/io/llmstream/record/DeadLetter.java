package io.llmstream.record;

/**
 * A prompt that could not be completed, with the story of why.
 *
 * @param status the last HTTP status; 0 if there was none
 * @param code the provider's error code (e.g. {@code context_length_exceeded}); null if none
 * @param model the model it was sent to; null if it never got that far
 * @param keyId the id of the API key last used (never the key); null if none
 * @param elapsedMs time from admission to giving up
 * @param outputBytes for {@link ErrorKind#OUTPUT_TOO_LARGE}, the size of the completion's record; 0 otherwise
 * @param input the original input value, or only its beginning if {@code inputTruncated}; null for a tombstone
 * @param inputBytes the size of the original input value in bytes, whatever part of it {@code input} holds
 * @param inputTruncated whether {@code input} is only a prefix of the original value
 * @param source where the input was read
 * @param answer for {@link ErrorKind#INVALID_ANSWER}, the last answer, which was not the JSON asked for; null
 *     otherwise
 * @param tenant the tenant it was charged to, when tenants share the job; null otherwise
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
        long outputBytes,
        String input,
        int inputBytes,
        boolean inputTruncated,
        SourcePosition source,
        String answer,
        String tenant) {

    /** As the canonical constructor, for a job without tenants. */
    public DeadLetter(String id, ErrorKind kind, int status, String code, String message, int attempts, String model,
            String keyId, long elapsedMs, long outputBytes, String input, int inputBytes, boolean inputTruncated,
            SourcePosition source, String answer) {
        this(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes, input, inputBytes,
                inputTruncated, source, answer, null);
    }

    /** A dead letter without an answer: every kind but {@link ErrorKind#INVALID_ANSWER}. */
    public DeadLetter(String id, ErrorKind kind, int status, String code, String message, int attempts, String model,
            String keyId, long elapsedMs, long outputBytes, String input, int inputBytes, boolean inputTruncated,
            SourcePosition source) {
        this(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes, input, inputBytes,
                inputTruncated, source, null);
    }

    /** The same dead letter keeping the answer that was not valid. */
    public DeadLetter withAnswer(String invalidAnswer) {
        return new DeadLetter(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes, input,
                inputBytes, inputTruncated, source, invalidAnswer, tenant);
    }

    /** The same dead letter keeping only the first {@code end} characters of its answer. */
    public DeadLetter withAnswerPrefix(int end) {
        if (answer == null || end >= answer.length()) {
            return this;
        }
        return withAnswer(answer.substring(0, end));
    }

    /** A dead letter for input that never became a request. */
    public static DeadLetter invalidInput(String id, String message, String input, int inputBytes,
            boolean inputTruncated, SourcePosition source) {
        return new DeadLetter(id, ErrorKind.INVALID_INPUT, 0, null, message, 0, null, null, 0, 0, input, inputBytes,
                inputTruncated, source);
    }

    /** A dead letter for a request that was accepted but failed in the call. */
    public static DeadLetter failedRequest(LlmRequest request, ErrorKind kind, int status, String code,
            String message, int attempts, String model, String keyId, long elapsedMs) {
        return new DeadLetter(request.id(), kind, status, code, message, attempts, model, keyId, elapsedMs, 0,
                request.input(), request.inputBytes(), false, request.source());
    }

    /** A dead letter for an answer whose completion record is too large to be written. */
    public static DeadLetter outputTooLarge(LlmRequest request, Completion completion, String keyId,
            long outputBytes, String message) {
        return new DeadLetter(request.id(), ErrorKind.OUTPUT_TOO_LARGE, 0, null, message, completion.attempts(),
                completion.model(), keyId, completion.latencyMs(), outputBytes, request.input(), request.inputBytes(),
                false, request.source());
    }

    /** The same dead letter keeping only the first {@code end} characters of its input. */
    public DeadLetter withInputPrefix(int end) {
        if (input == null || end >= input.length()) {
            return this;
        }
        return new DeadLetter(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes,
                input.substring(0, end), inputBytes, true, source, answer, tenant);
    }

    /** The same dead letter with another error code and message, such as shortened ones. */
    public DeadLetter withError(String code, String message) {
        return new DeadLetter(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes, input,
                inputBytes, inputTruncated, source, answer, tenant);
    }

    /** The same dead letter charged to {@code name}. */
    public DeadLetter ofTenant(String name) {
        return new DeadLetter(id, kind, status, code, message, attempts, model, keyId, elapsedMs, outputBytes, input,
                inputBytes, inputTruncated, source, answer, name);
    }
}
