package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.measure.TokenEstimator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

/** How an answer is cut into pieces and when each piece goes, without a server. */
class MockPacingTest {

    private static final TokenEstimator O200K = TokenEstimator.forEncoding("o200k_base");
    private static final long MS = 1_000_000;

    @Test
    void piecesCarryAFewTokensEachAndNeverMoreThanTheCap() {
        MockPacing pacing = new MockPacing(0, 0, 0, 0);

        assertThat(pacing.pieces(1, 5)).isEqualTo(1);
        assertThat(pacing.pieces(9, 40)).isEqualTo(3);
        assertThat(pacing.pieces(9, 2)).as("at most one per character").isEqualTo(2);
        assertThat(pacing.pieces(500_000, 2_000_000)).isEqualTo(MockPacing.MAX_PIECES);
    }

    @Test
    void theFirstPieceComesAtTheBaseLatencyAndTheRestAtTheirTokens() {
        MockPacing pacing = new MockPacing(300, 20, 0, 0);

        long[] at = pacing.pieceNanos(3, 12);

        assertThat(at).containsExactly(300 * MS, (300 + 4 * 20) * MS, (300 + 8 * 20) * MS);
        assertThat(pacing.firstNanos()).isEqualTo(300 * MS);
        assertThat(pacing.wholeNanos(12)).isEqualTo((300 + 12 * 20) * MS);
    }

    @Test
    void aPauseHoldsEverythingAfterTheFirstPiece() {
        MockPacing pacing = new MockPacing(100, 0, 500, 0);

        assertThat(pacing.pieceNanos(3, 12)).containsExactly(100 * MS, 600 * MS, 600 * MS);
        assertThat(pacing.wholeNanos(12)).isEqualTo(600 * MS);
    }

    @Test
    void aSlowAnswerSpreadsEnoughPiecesEvenly() {
        MockPacing tenSeconds = new MockPacing(0, 5, 0, 10_000);
        int pieces = tenSeconds.pieces(8, 30);

        long[] at = tenSeconds.pieceNanos(pieces, 8);

        assertThat(pieces).as("a piece every 200 ms at most").isEqualTo(51);
        assertThat(at[0]).isZero();
        assertThat(at[pieces - 1]).isEqualTo(10_000 * MS);
        for (int i = 1; i < pieces; i++) {
            assertThat(at[i] - at[i - 1]).isEqualTo(200 * MS);
        }
        assertThat(tenSeconds.wholeNanos(8)).isEqualTo(10_000 * MS);
        assertThat(new MockPacing(0, 0, 0, 500).pieces(8, 30)).as("every 50 ms: a tenth of it").isEqualTo(11);
    }

    @Test
    void piecesJoinToTheContentAndNeverSplitACharacter() {
        String content = "Echo[00000000]: \uD83D\uDE00\uD83D\uDE00\uD83D\uDE00 dragons";
        MockCompletion completion = new MockCompletion("id", 0, "m", content, "stop", 1, 1, null);

        for (int count = 1; count <= 40; count++) {
            List<String> pieces = completion.pieces(count);

            assertThat(pieces).hasSize(count);
            assertThat(String.join("", pieces)).isEqualTo(content);
            assertThat(pieces).allSatisfy(piece -> assertThat(piece.isEmpty()
                    || !Character.isLowSurrogate(piece.charAt(0))).isTrue());
        }
    }

    @Test
    void aLongAnswerCountsItsTokensCheaplyAndClosely() {
        String text = "[[mock:long(chars=200000)]] estimate";
        String content = MockAnswers.longContentFor(text, 200_000);

        int estimate = MockCompletion.longTokens(O200K, text, 200_000);

        assertThat(estimate).isCloseTo(O200K.countText(content), withPercentage(1));
        MockCompletion completion = MockCompletion.of(O200K, "id", "gpt-4o",
                MockTestClient.chatBody("gpt-4o", text), text, 200_000L);
        assertThat(completion.content()).isEqualTo(content);
        assertThat(completion.completionTokens()).isEqualTo(estimate);
        assertThat(completion.finishReason()).isEqualTo("stop");
    }

    @Test
    void chunksFromTheirTemplatesAreTheChunksByteForByte() throws Exception {
        ObjectMapper json = new ObjectMapper();
        MockCompletion completion = new MockCompletion("chatcmpl-\"7\"", 42, "gpt-4o", "hi", "stop", 3, 1, 1);
        for (boolean usage : List.of(false, true)) {
            MockCompletion.ChunkBytes chunks = completion.new ChunkBytes(usage);
            for (String piece : List.of("hi", "", " Grüße \"quoted\" \\ 世界 😀\n\t", "\u0001")) {
                assertThat(text(chunks.content(piece))).as(piece)
                        .isEqualTo(json.writeValueAsString(completion.contentChunk(json, piece, usage)));
            }
            assertThat(text(chunks.role())).isEqualTo(json.writeValueAsString(completion.roleChunk(json, usage)));
            assertThat(text(chunks.finish())).isEqualTo(json.writeValueAsString(completion.finishChunk(json, usage)));
            assertThat(text(chunks.usage())).isEqualTo(json.writeValueAsString(completion.usageChunk(json)));
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void everyChunkCarriesTheSameIdentity() {
        ObjectMapper json = new ObjectMapper();
        MockCompletion completion = new MockCompletion("chatcmpl-1", 42, "gpt-4o", "hi", "length", 3, 1, 1);

        assertThat(List.of(completion.roleChunk(json, false), completion.contentChunk(json, "hi", false),
                completion.finishChunk(json, false), completion.usageChunk(json)))
                .allSatisfy(chunk -> {
                    assertThat(chunk.get("id").asText()).isEqualTo("chatcmpl-1");
                    assertThat(chunk.get("created").asLong()).isEqualTo(42);
                    assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
                });
        assertThat(completion.finishChunk(json, true).toString()).isEqualTo("{\"id\":\"chatcmpl-1\","
                + "\"object\":\"chat.completion.chunk\",\"created\":42,\"model\":\"gpt-4o\",\"system_fingerprint\":"
                + "\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"length\"}],"
                + "\"usage\":null}");
        assertThat(completion.usageChunk(json).get("usage").toString())
                .isEqualTo("{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}");
    }
}
