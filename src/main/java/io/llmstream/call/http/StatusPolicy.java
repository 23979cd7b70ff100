package io.llmstream.call.http;

import io.llmstream.record.ErrorKind;

import java.util.HashSet;
import java.util.Set;

/**
 * Which HTTP statuses are worth another attempt and which are final. The two sets are kept apart and
 * checked not to overlap, so a status can never be both retried and given up on.
 */
public final class StatusPolicy {
    /** Temporary: the same request may succeed later. All other 5xx are retried too. */
    static final Set<Integer> RETRYABLE = Set.of(408, 409, 429, 500, 502, 503, 504);
    /** Final: the request itself is wrong, or the key is. Other 4xx are final too. */
    static final Set<Integer> FINAL = Set.of(400, 401, 403, 404, 405, 413, 415, 422);

    static {
        Set<Integer> overlap = new HashSet<>(RETRYABLE);
        overlap.retainAll(FINAL);
        if (!overlap.isEmpty()) {
            throw new IllegalStateException("statuses both retryable and final: " + overlap);
        }
    }

    private StatusPolicy() {}

    static boolean isRetryable(int status) {
        return RETRYABLE.contains(status) || (status >= 500 && status <= 599);
    }

    /** The kind of a non-2xx status, refined by the provider's error code where it says more. */
    static ErrorKind kindOf(int status, String code) {
        if ("context_length_exceeded".equals(code)) {
            return ErrorKind.CONTEXT_LENGTH_EXCEEDED;
        }
        if ("insufficient_quota".equals(code)) {
            return ErrorKind.QUOTA_EXCEEDED;
        }
        switch (status) {
            case 401:
            case 403:
                return ErrorKind.AUTH;
            case 404:
                return ErrorKind.NOT_FOUND;
            case 408:
                return ErrorKind.TIMEOUT;
            case 429:
                return ErrorKind.RATE_LIMITED;
            default:
                return status >= 500 || status == 409 ? ErrorKind.SERVER_ERROR : ErrorKind.BAD_REQUEST;
        }
    }

    /** Whether an attempt that failed with this kind and status should be tried again. */
    static boolean shouldRetry(ErrorKind kind, int status) {
        if (kind == ErrorKind.CONTEXT_LENGTH_EXCEEDED || kind == ErrorKind.QUOTA_EXCEEDED) {
            return false;
        }
        return isRetryable(status);
    }
}
