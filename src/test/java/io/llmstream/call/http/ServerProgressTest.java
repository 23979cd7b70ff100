package io.llmstream.call.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServerProgressTest {
    private static final long MS = 1_000_000L;

    @Test
    void aServerThatAnsweredNothingYetHasOvertakenNobodyAndSentNothing() {
        ServerProgress server = new ServerProgress();

        assertThat(server.overtook(0)).isFalse();
        assertThat(server.overtook(-5_000 * MS)).isFalse();
        assertThat(server.sentSince(-5_000 * MS)).isFalse();
    }

    @Test
    void aRequestIsOvertakenOnlyByOneSentWellAfterIt() {
        ServerProgress server = new ServerProgress();
        server.firstToken(1_000 * MS, 1_500 * MS);

        assertThat(server.overtook(1_000 * MS)).as("itself").isFalse();
        assertThat(server.overtook(980 * MS)).as("sent 20 ms before: either order is possible").isFalse();
        assertThat(server.overtook(900 * MS)).as("sent 100 ms before").isTrue();
    }

    @Test
    void theLatestAnsweredRequestWinsWhateverOrderAnswersComeIn() {
        ServerProgress server = new ServerProgress();
        server.firstToken(2_000 * MS, 2_100 * MS);
        server.firstToken(1_000 * MS, 2_200 * MS);

        assertThat(server.overtook(1_500 * MS)).isTrue();
        assertThat(server.sentSince(2_150 * MS)).as("the second answer came at 2.2 s").isTrue();
        assertThat(server.sentSince(2_250 * MS)).isFalse();
    }

    @Test
    void anyPieceOfAnAnswerIsProgress() {
        ServerProgress server = new ServerProgress();
        server.sentSomething(3_000 * MS);

        assertThat(server.sentSince(2_000 * MS)).isTrue();
        assertThat(server.overtook(0)).as("a piece is no first token").isFalse();
    }
}
