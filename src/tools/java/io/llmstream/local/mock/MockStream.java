package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One answer sent as server-sent events, as OpenAI streams chat completions: the headers as soon as
 * the answer starts (providers answer before they generate), then at the first token a chunk with
 * the role and one with the first piece of content, the other pieces as they are generated, a chunk
 * with the finish reason, the usage chunk when {@code stream_options.include_usage} asked for it, and
 * {@code data: [DONE]}.
 *
 * <p>With {@code --stream sse-at-first-token} the headers wait for the first token and go in one write with
 * it, as from a server that does not flush its headers on their own.
 *
 * <p>Every part is scheduled on the channel's event loop; parts due together go in one write. Tokens
 * are counted when the last part goes, so a client never sees an uncounted answer and a broken stream
 * counts none.
 */
final class MockStream {

    /** How a stream ends. */
    enum Ending {
        /** The finish reason, the usage if asked for, {@code [DONE]} and the end of the chunked body. */
        COMPLETE,
        /** About half of the chunks, then the connection closes: no finish, no {@code [DONE]}, no last chunk. */
        BREAK,
        /** The chunks before the middle piece, that piece's JSON cut in half, then the connection closes. */
        BAD_JSON
    }

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    /** One event and when it is due, from the start of the answer. */
    private record Part(long atNanos, byte[] event) {}

    private final MockRuntime rt;
    private final MockExchange ex;
    private final MockCompletion completion;
    private final Ending ending;
    private final Map<String, String> headers;
    private final List<Part> parts;
    private int next;
    private long startedNanos;

    MockStream(MockRuntime rt, MockExchange ex, MockCompletion completion, MockPacing pacing, boolean includeUsage,
               Ending ending, Map<String, String> headers) {
        this.rt = rt;
        this.ex = ex;
        this.completion = completion;
        this.ending = ending;
        this.headers = headers;
        this.parts = parts(pacing, includeUsage);
    }

    private List<Part> parts(MockPacing pacing, boolean includeUsage) {
        String content = completion.content();
        int count = pacing.pieces(completion.completionTokens(), content.codePointCount(0, content.length()));
        List<String> pieces = completion.pieces(count);
        long[] at = pacing.pieceNanos(count, completion.completionTokens());
        List<Part> all = new ArrayList<>(count + 4);
        MockCompletion.ChunkBytes events = completion.new ChunkBytes(includeUsage, DATA, END_OF_EVENT);
        all.add(new Part(at[0], events.role()));
        for (int i = 0; i < count; i++) {
            all.add(new Part(at[i], events.content(pieces.get(i))));
        }
        long end = at[count - 1];
        all.add(new Part(end, events.finish()));
        if (includeUsage) {
            all.add(new Part(end, events.usage()));
        }
        switch (ending) {
            case COMPLETE -> all.add(new Part(end, DONE));
            case BREAK -> all = all.subList(0, Math.max(2, all.size() / 2));
            case BAD_JSON -> {
                // The role chunk is part 0, so piece i is part i + 1.
                int middle = count / 2;
                Part whole = all.get(middle + 1);
                byte[] json = ex.bytes(completion.contentChunk(rt.json, pieces.get(middle), includeUsage));
                all = new ArrayList<>(all.subList(0, middle + 1));
                all.add(new Part(whole.atNanos(), frame(Arrays.copyOf(json, json.length / 2))));
            }
        }
        return all;
    }

    /** Starts the answer after {@code delayNanos}, if the client is still connected then. */
    void start(long delayNanos) {
        ex.later(delayNanos, () -> {
            if (!ex.isOpen()) {
                return;
            }
            startedNanos = rt.nanoClock.getAsLong();
            ex.startStream(headers);
            sendDue();
        });
    }

    private void sendDue() {
        if (!ex.isOpen()) {
            return;
        }
        long elapsed = rt.nanoClock.getAsLong() - startedNanos;
        List<byte[]> due = new ArrayList<>();
        while (next < parts.size() && parts.get(next).atNanos() <= elapsed) {
            due.add(parts.get(next++).event());
        }
        if (next < parts.size()) {
            if (!due.isEmpty() || rt.options.stream() != MockOptions.StreamMode.SSE_AT_FIRST_TOKEN) {
                ex.events(due); // with nothing due yet, this sends the headers alone
            }
            ex.later(parts.get(next).atNanos() - elapsed, this::sendDue);
            return;
        }
        if (ending == Ending.COMPLETE) {
            rt.counters.tokens(completion.promptTokens(), completion.completionTokens());
            ex.endStream(due);
        } else {
            rt.counters.malformed();
            ex.events(due);
            ex.abort();
        }
    }

    private byte[] event(JsonNode chunk) {
        return frame(ex.bytes(chunk));
    }

    /** {@code data: <bytes>} and the blank line that ends an event. */
    private static byte[] frame(byte[] data) {
        byte[] event = new byte[DATA.length + data.length + END_OF_EVENT.length];
        System.arraycopy(DATA, 0, event, 0, DATA.length);
        System.arraycopy(data, 0, event, DATA.length, data.length);
        System.arraycopy(END_OF_EVENT, 0, event, DATA.length + data.length, END_OF_EVENT.length);
        return event;
    }
}
