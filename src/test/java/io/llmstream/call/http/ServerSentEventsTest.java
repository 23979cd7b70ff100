package io.llmstream.call.http;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ServerSentEventsTest {
    private final List<String> events = new ArrayList<>();
    private final ServerSentEvents parser = new ServerSentEvents(
            (data, offset, length) -> events.add(new String(data, offset, length, StandardCharsets.UTF_8)));

    private void feed(String text) {
        parser.feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void handsOnTheDataOfEachEvent() {
        feed("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n");

        assertThat(events).containsExactly("{\"a\":1}", "{\"b\":2}", "[DONE]");
    }

    @Test
    void readsEventsCutAnywhereEvenInsideACharacter() {
        byte[] body = "data: {\"text\":\"héllo 世界 😀\"}\r\n\r\ndata: next\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        for (byte b : body) {
            parser.feed(ByteBuffer.wrap(new byte[] {b}));
        }

        assertThat(events).containsExactly("{\"text\":\"héllo 世界 😀\"}", "next");
    }

    @Test
    void readsEveryMixOfLineEndsTheSameWholeByteByByteAndCutInTwoAnywhere() {
        byte[] body = ("data: one\n\ndata:two\r\n\r\ndata: three\r\rdata: 4a\ndata: 4b\n\n: note\n\n"
                + "data\n\ndata: six\r\n\ndata: seven\n\r\nevent: x\ndata: eight\n\ndata:\n\ndata: [DONE]\n\n")
                .getBytes(StandardCharsets.UTF_8);
        List<String> expected = List.of("one", "two", "three", "4a\n4b", "", "six", "seven", "eight", "", "[DONE]");
        for (byte b : body) {
            parser.feed(ByteBuffer.wrap(new byte[] {b}));
        }
        assertThat(events).as("byte by byte").isEqualTo(expected);
        for (int cut = 0; cut <= body.length; cut++) {
            List<String> got = new ArrayList<>();
            ServerSentEvents cutParser = new ServerSentEvents(
                    (data, offset, length) -> got.add(new String(data, offset, length, StandardCharsets.UTF_8)));
            // The piece sits inside a larger array, as a body part's bytes may.
            byte[] padded = new byte[body.length + 6];
            System.arraycopy(body, 0, padded, 3, body.length);
            cutParser.feed(ByteBuffer.wrap(padded, 3, cut).slice());
            cutParser.feed(ByteBuffer.wrap(padded, 3 + cut, body.length - cut).slice());
            cutParser.end();
            assertThat(got).as("cut at %d", cut).isEqualTo(expected);
        }
    }

    @Test
    void readsBodyPartsThatAreNotBackedByAnArray() {
        byte[] body = "data: {\"a\":1}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
        ByteBuffer direct = ByteBuffer.allocateDirect(body.length);
        direct.put(body).flip();
        parser.feed(direct);

        assertThat(direct.hasRemaining()).isFalse();
        assertThat(events).containsExactly("{\"a\":1}", "[DONE]");
    }

    @Test
    void joinsDataLinesAndSkipsCommentsAndOtherFields() {
        feed(": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: first\ndata:second\n\n");

        assertThat(events).containsExactly("first\nsecond");
    }

    @Test
    void acceptsCarriageReturnsAloneAsLineEnds() {
        feed("data: one\r\rdata: two\r\r");

        assertThat(events).containsExactly("one", "two");
    }

    @Test
    void anEventWithoutItsClosingEmptyLineCountsAtTheEnd() {
        feed("data: {\"a\":1}\n\ndata: [DONE]");
        assertThat(events).containsExactly("{\"a\":1}");

        parser.end();

        assertThat(events).containsExactly("{\"a\":1}", "[DONE]");
    }
}
