package io.llmstream.local.mock;

import io.llmstream.measure.TokenEstimator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The answers of the mock: pure functions of the prompt, so a test or a pipeline check can recompute
 * the expected completion of every input and prove each output belongs to its input.
 *
 * <p>A completion is {@code Echo[H]: T}, where {@code H} is the first 8 hex digits of the SHA-256 of
 * the last user message's whole text and {@code T} is that text cut to its first
 * {@value #MAX_ECHOED_CODE_POINTS} code points.
 */
public final class MockAnswers {

    /** How much of the prompt a completion repeats. */
    public static final int MAX_ECHOED_CODE_POINTS = 120;

    /** What a {@code long(chars=N)} answer repeats after the usual completion: plain words, cheap to count. */
    static final String FILLER = " lorem ipsum dolor sit amet.";

    private static final TokenEstimator DEFAULT_ESTIMATOR = TokenEstimator.forEncoding(MockOptions.DEFAULT_ENCODING);

    private MockAnswers() {}

    /** The full completion of a prompt, before any {@code max_tokens} cut. */
    public static String contentFor(String lastUserText) {
        String text = lastUserText == null ? "" : lastUserText;
        String hash = HexFormat.of().formatHex(sha256(text), 0, 4);
        String echoed = text.codePointCount(0, text.length()) <= MAX_ECHOED_CODE_POINTS
                ? text
                : text.substring(0, text.offsetByCodePoints(0, MAX_ECHOED_CODE_POINTS));
        return "Echo[" + hash + "]: " + echoed;
    }

    /**
     * The completion of a {@code [[mock:long(chars=N)]]} prompt: exactly {@code chars} UTF-16 characters,
     * the usual completion followed by {@value #FILLER} repeated (and cut), or the usual completion cut
     * to {@code chars} when it is longer. Still starts with {@code Echo[H]: }, so outputs stay
     * traceable to their inputs.
     */
    public static String longContentFor(String lastUserText, int chars) {
        if (chars < 0) {
            throw new IllegalArgumentException("chars must be >= 0, was " + chars);
        }
        String head = contentFor(lastUserText);
        StringBuilder out = new StringBuilder(chars);
        if (chars <= head.length()) {
            out.append(head, 0, chars);
            if (chars > 0 && Character.isHighSurrogate(out.charAt(chars - 1))) {
                // Never end in half a character: the filler's first character takes its place.
                out.setCharAt(chars - 1, FILLER.charAt(0));
            }
            return out.toString();
        }
        out.append(head);
        while (out.length() < chars) {
            out.append(FILLER, 0, Math.min(FILLER.length(), chars - out.length()));
        }
        return out.toString();
    }

    /**
     * The completion under a {@code max_tokens} limit in the default {@code o200k_base} encoding: the full
     * completion cut to {@code maxTokens} tokens when it is longer (then {@code finish_reason} is
     * {@code length}).
     */
    public static String contentFor(String lastUserText, int maxTokens) {
        return contentFor(lastUserText, maxTokens, DEFAULT_ESTIMATOR);
    }

    /** As {@link #contentFor(String, int)}, counting tokens with the given estimator. */
    public static String contentFor(String lastUserText, int maxTokens, TokenEstimator estimator) {
        return estimator.truncate(contentFor(lastUserText), maxTokens);
    }

    /**
     * A unit-length embedding of {@code dims} floats drawn from SHA-256 of the text: equal texts get
     * equal vectors, different texts almost surely different ones.
     */
    public static float[] embeddingFor(String text, int dims) {
        if (dims < 1) {
            throw new IllegalArgumentException("dims must be >= 1, was " + dims);
        }
        float[] vector = new float[dims];
        byte[] block = new byte[0];
        ByteBuffer bits = ByteBuffer.wrap(block);
        double norm = 0;
        for (int i = 0; i < dims; i++) {
            if (bits.remaining() < Integer.BYTES) {
                block = sha256((text == null ? "" : text) + "#" + (i / 8));
                bits = ByteBuffer.wrap(block);
            }
            // An int mapped to [-1, 1).
            vector[i] = (float) (bits.getInt() / (double) (1L << 31));
            norm += (double) vector[i] * vector[i];
        }
        double length = Math.sqrt(norm);
        if (length > 0) {
            for (int i = 0; i < dims; i++) {
                vector[i] = (float) (vector[i] / length);
            }
        }
        return vector;
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
