package io.llmstream.local.mock;

import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MockAnswersTest {

    private static final TokenEstimator O200K = TokenEstimator.forEncoding("o200k_base");

    @Test
    void echoesTheTextBehindTheFirstEightHexOfItsSha256() throws Exception {
        String text = "Translate 'hello' to French.";
        String hash = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 8);

        assertThat(MockAnswers.contentFor(text)).isEqualTo("Echo[" + hash + "]: " + text);
        assertThat(MockAnswers.contentFor(text)).isEqualTo(MockAnswers.contentFor(text));
        assertThat(MockAnswers.contentFor(null)).isEqualTo(MockAnswers.contentFor(""));
    }

    @Test
    void echoesAtMost120CodePointsButHashesTheWholeText() {
        String head = "a".repeat(119) + "\uD83D\uDE00"; // 120 code points ending in an emoji
        String first = head + " first tail";
        String second = head + " second tail";

        assertThat(MockAnswers.contentFor(first)).endsWith("]: " + head);
        assertThat(MockAnswers.contentFor(second)).endsWith("]: " + head);
        assertThat(MockAnswers.contentFor(first)).isNotEqualTo(MockAnswers.contentFor(second));
    }

    @Test
    void aLongAnswerIsTheUsualOneThenFillerToExactlyTheLength() {
        String text = "[[mock:long(chars=1000)]] hi";
        String usual = MockAnswers.contentFor(text);

        String content = MockAnswers.longContentFor(text, 1000);

        assertThat(content).hasSize(1000).startsWith(usual + MockAnswers.FILLER);
        assertThat(content.substring(usual.length())).matches("( lorem ipsum dolor sit amet\\.)+( lorem ipsum.*)?");
        assertThat(MockAnswers.longContentFor(text, 1000)).isEqualTo(content);
        assertThat(MockAnswers.longContentFor(text, 5)).isEqualTo("Echo[");
        assertThat(MockAnswers.longContentFor(text, usual.length())).isEqualTo(usual);
    }

    @Test
    void aShortLongAnswerNeverEndsInHalfACharacter() {
        String text = "\uD83D\uDE00";
        String usual = MockAnswers.contentFor(text);

        String cut = MockAnswers.longContentFor(text, usual.length() - 1);

        assertThat(cut).hasSize(usual.length() - 1).isEqualTo(usual.substring(0, usual.length() - 2) + " ");
    }

    @Test
    void cutsToExactlyMaxTokensOnATokenBoundary() {
        String text = "The quick brown fox jumps over the lazy dog, again and again, until it is tired.";
        String full = MockAnswers.contentFor(text);
        int fullTokens = O200K.countText(full);

        for (int max = 1; max < fullTokens; max++) {
            String cut = MockAnswers.contentFor(text, max);
            assertThat(full).startsWith(cut);
            assertThat(O200K.countText(cut)).as("tokens of the cut to %d", max).isEqualTo(max);
        }
        assertThat(MockAnswers.contentFor(text, fullTokens)).isEqualTo(full);
        assertThat(MockAnswers.contentFor(text, fullTokens + 100)).isEqualTo(full);
    }

    @Test
    void neverCutsInsideACharacter() {
        String text = "日本語のテキストと絵文字 \uD83D\uDE80\uD83D\uDE80\uD83D\uDE80 を混ぜる";
        String full = MockAnswers.contentFor(text);

        for (int max = 1; max <= O200K.countText(full); max++) {
            String cut = MockAnswers.contentFor(text, max, O200K);
            assertThat(full).startsWith(cut);
            assertThat(cut).doesNotContain("\uFFFD");
            assertThat(O200K.countText(cut)).isLessThanOrEqualTo(max);
        }
    }

    @Test
    void truncateKeepsEstimatorContract() {
        assertThat(O200K.truncate("", 5)).isEmpty();
        assertThat(O200K.truncate("hello", 0)).isEmpty();
        assertThatThrownBy(() -> O200K.truncate("hello", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTokens must be >= 0, was -1");
    }

    @Test
    void embeddingsAreDeterministicUnitVectors() {
        float[] a = MockAnswers.embeddingFor("apple", 37);
        float[] again = MockAnswers.embeddingFor("apple", 37);
        float[] b = MockAnswers.embeddingFor("banana", 37);

        assertThat(a).hasSize(37).containsExactly(again);
        assertThat(a).isNotEqualTo(b);
        double norm = 0;
        for (float v : a) {
            norm += v * v;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThatThrownBy(() -> MockAnswers.embeddingFor("x", 0)).hasMessage("dims must be >= 1, was 0");
    }
}
