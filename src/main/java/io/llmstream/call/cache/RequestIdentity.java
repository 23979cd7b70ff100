package io.llmstream.call.cache;

import io.llmstream.record.LlmRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * What makes two requests identical for the answer cache: the model they ask for and the exact body sent
 * to the API (messages and every pass-through parameter; not id, metadata or priority, which the parse
 * stage keeps out of the body). The key is the SHA-256 of both, so an entry holds 44 characters instead of
 * a prompt; a collision, which would hand one prompt another's answer, is as likely as guessing a 256-bit
 * key (about 2^-128 even among 2^64 distinct requests), so the body itself is not kept to compare.
 *
 * <p>The body is taken byte for byte, not canonicalised: the parse stage writes it in the input's key
 * order, so {@code {"temperature": 0, "messages": ...}} and {@code {"messages": ..., "temperature": 0}}
 * are two requests that each make one call. A producer sends its prompts in one shape, and treating two
 * shapes as different only costs a call, never a wrong answer.
 */
public final class RequestIdentity {
    private RequestIdentity() {}

    /** The cache key of a request. */
    public static String of(LlmRequest request) {
        return of(request.model(), request.body());
    }

    /** The cache key of a body sent for a model. */
    public static String of(String model, String body) {
        MessageDigest sha256 = sha256();
        sha256.update(model.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        sha256.update(body.getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(sha256.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
