package io.llmstream.record;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TextCutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void countsEveryCharacterAsRecordJsonWritesIt() throws Exception {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            if (Character.isSurrogate((char) c)) {
                continue;
            }
            String text = String.valueOf((char) c);
            assertThat(TextCut.jsonBytes((char) c)).as("U+%04X", c).isEqualTo(jsonStringBytes(text));
        }
        String pair = "\uD83D\uDE00";
        assertThat(TextCut.jsonBytes(pair.charAt(0)) + TextCut.jsonBytes(pair.charAt(1)))
                .isEqualTo(jsonStringBytes(pair));
    }

    @Test
    void keepsTheLongestPrefixThatFits() throws Exception {
        String text = "ab\"c\u00e9\u4e2d\n\u0001";

        for (int maxBytes = 0; maxBytes <= 30; maxBytes++) {
            int end = TextCut.jsonPrefix(text, maxBytes);
            assertThat(jsonStringBytes(text.substring(0, end))).as("prefix within %d bytes", maxBytes)
                    .isLessThanOrEqualTo(maxBytes);
            if (end < text.length()) {
                assertThat(jsonStringBytes(text.substring(0, end + 1))).as("one more character")
                        .isGreaterThan(maxBytes);
            }
        }
    }

    @Test
    void neverSplitsASurrogatePair() {
        String text = "a\uD83D\uDE00b";

        assertThat(TextCut.jsonPrefix(text, 1)).isEqualTo(1);
        assertThat(TextCut.jsonPrefix(text, 12)).isEqualTo(1);
        assertThat(TextCut.jsonPrefix(text, 13)).isEqualTo(3);
        assertThat(TextCut.charPrefix(text, 2)).isEqualTo("a");
        assertThat(TextCut.charPrefix(text, 3)).isEqualTo("a\uD83D\uDE00");
        assertThat(TextCut.charPrefix(text, 9)).isSameAs(text);
    }

    @Test
    void keepsNothingWithoutRoom() {
        assertThat(TextCut.jsonPrefix("abc", 0)).isZero();
        assertThat(TextCut.jsonPrefix("abc", -5)).isZero();
    }

    /** The bytes Jackson writes between the quotes of a JSON string holding the text. */
    private static int jsonStringBytes(String text) throws Exception {
        return JSON.writeValueAsBytes(text).length - 2;
    }
}
