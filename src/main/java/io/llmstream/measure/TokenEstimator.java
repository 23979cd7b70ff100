package io.llmstream.measure;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingResult;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.Locale;
import java.util.Optional;

/**
 * Estimates the prompt tokens of a chat-completions request the way OpenAI bills them: the tokens of
 * every message's content and role, a fixed overhead per message, and the priming of the reply.
 *
 * <p>Providers charge a request against the TPM limit at admission with this estimate plus
 * {@code max_tokens}, so the budget must count the same way to stay under the limit. The encodings are
 * loaded once per JVM and are thread-safe.
 */
public final class TokenEstimator {

    /** Tokens OpenAI adds around every message ({@code <|start|>role<|message|>...<|end|>}). */
    static final int TOKENS_PER_MESSAGE = 3;
    /** Tokens for a message's {@code name} field, on top of the name itself. */
    static final int TOKENS_PER_NAME = 1;
    /** Tokens that prime the assistant's reply. */
    static final int REPLY_PRIMING_TOKENS = 3;
    /** A flat estimate for one image part; the real cost depends on its size and detail. */
    static final int TOKENS_PER_IMAGE = 85;

    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    private final Encoding encoding;

    private TokenEstimator(Encoding encoding) {
        this.encoding = encoding;
    }

    /** The estimator for an encoding name such as {@code o200k_base} or {@code cl100k_base}. */
    public static TokenEstimator forEncoding(String encodingName) {
        EncodingType type = parseEncoding(encodingName)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown token encoding '" + encodingName + "'; known: " + knownEncodings()));
        return new TokenEstimator(REGISTRY.getEncoding(type));
    }

    /** The encoding name, or empty if the name is not one jtokkit knows. */
    public static Optional<EncodingType> parseEncoding(String encodingName) {
        return encodingName == null
                ? Optional.empty()
                : EncodingType.fromName(encodingName.trim().toLowerCase(Locale.ROOT));
    }

    /** The encoding names accepted by {@link #forEncoding}, comma-separated. */
    public static String knownEncodings() {
        StringBuilder names = new StringBuilder();
        for (EncodingType type : EncodingType.values()) {
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(type.getName());
        }
        return names.toString();
    }

    /** Tokens of plain text, special tokens counted as ordinary text. */
    public int countText(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }

    /**
     * The text cut to its first {@code maxTokens} tokens, as a provider cuts a completion at
     * {@code max_tokens}: a prefix that counts at most that many tokens and never ends inside a
     * character; the text itself when it already fits.
     */
    public String truncate(String text, int maxTokens) {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be >= 0, was " + maxTokens);
        }
        if (text == null || maxTokens == 0) {
            return "";
        }
        EncodingResult head = encoding.encodeOrdinary(text, maxTokens);
        if (!head.isTruncated()) {
            return text;
        }
        String cut = encoding.decode(head.getTokens());
        if (!text.startsWith(cut)) {
            // A token that ended inside a multi-byte character decodes to a replacement character.
            int common = 0;
            while (common < cut.length() && cut.charAt(common) == text.charAt(common)) {
                common++;
            }
            cut = text.substring(0, common);
        }
        // Re-encoding a prefix can merge differently; drop characters until the count fits.
        while (!cut.isEmpty() && countText(cut) > maxTokens) {
            cut = cut.substring(0, cut.offsetByCodePoints(cut.length(), -1));
        }
        if (!cut.isEmpty() && Character.isHighSurrogate(cut.charAt(cut.length() - 1))) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut;
    }

    /**
     * Estimated prompt tokens of a chat-completions body: its {@code messages} plus, when present, the
     * JSON of {@code tools}, {@code functions} and {@code response_format}, which providers also bill.
     */
    public int estimatePrompt(JsonNode body) {
        int tokens = REPLY_PRIMING_TOKENS;
        for (JsonNode message : body.path("messages")) {
            tokens += countMessage(message);
        }
        for (String field : new String[] {"tools", "functions", "response_format"}) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                tokens += countText(value.toString());
            }
        }
        return tokens;
    }

    private int countMessage(JsonNode message) {
        int tokens = TOKENS_PER_MESSAGE + countText(message.path("role").asText(""));
        JsonNode name = message.get("name");
        if (name != null && name.isTextual()) {
            tokens += TOKENS_PER_NAME + countText(name.asText());
        }
        tokens += countContent(message.get("content"));
        JsonNode toolCalls = message.get("tool_calls");
        if (toolCalls != null && !toolCalls.isNull()) {
            tokens += countText(toolCalls.toString());
        }
        return tokens;
    }

    private int countContent(JsonNode content) {
        if (content == null || content.isNull()) {
            return 0;
        }
        if (content.isTextual()) {
            return countText(content.asText());
        }
        int tokens = 0;
        if (content.isArray()) {
            for (JsonNode part : content) {
                if (part.hasNonNull("text")) {
                    tokens += countText(part.path("text").asText());
                } else if (part.has("image_url")) {
                    tokens += TOKENS_PER_IMAGE;
                } else {
                    tokens += countText(part.toString());
                }
            }
            return tokens;
        }
        return countText(content.toString());
    }
}
