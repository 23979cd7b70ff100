package io.llmstream.call;

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
