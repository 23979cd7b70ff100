package io.llmstream.call.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chunk scanner against Jackson's parser as the reference: for every chunk, whole or cut anywhere, a
 * stream read with the scanner ends exactly as the same stream read by Jackson alone — same content,
 * finish reason, usage, same failure.
 */
class ChunkScannerTest {
    private static final String HEAD = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1796400000,"
            + "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":";
    private static final String TAIL = ",\"logprobs\":null,\"finish_reason\":null}]}";

    private static final List<String> CHUNKS = List.of(
            HEAD + "{\"role\":\"assistant\",\"content\":\"\"}" + TAIL,
            HEAD + "{\"content\":\"Hello\"}" + TAIL,
            HEAD + "{\"content\":\" w\\u00f6rld \\ud83d\\ude00 \\\"quoted\\\" \\\\ \\/ \\n\\t\\r\\b\\f\"}" + TAIL,
            HEAD + "{\"content\":\"世界 é 😀\"}" + TAIL,
            HEAD + "{\"content\":null}" + TAIL,
            HEAD + "{\"content\":\"x\",\"refusal\":null,\"extra\":{\"a\":[1,2.5,-3e+2,true,false,null,{}],\"b\":[]}}" + TAIL,
            " { \"choices\" : [ { \"delta\" : { \"content\" : \"spaced\" } , \"index\" : 0 } ] } ",
            "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"second choice\"},\"finish_reason\":\"stop\"},"
                    + "{\"index\":0,\"delta\":{\"content\":\"first\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":null}",
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":8,\"total_tokens\":24}}",
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":8}}",
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":null,\"completion_tokens\":8,\"total_tokens\":\"x\","
                    + "\"prompt_tokens_details\":{\"cached_tokens\":0}}}",
            "{\"choices\":null,\"usage\":[]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":7}]}",
            "{\"choices\":[{\"index\":0.0,\"delta\":{\"content\":\"float index\"}}]}",
            "{\"choices\":[{\"index\":\"0\",\"delta\":{\"content\":\"string index\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"big\"}}],\"usage\":{\"prompt_tokens\":99999999999}}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":"
                    + "{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}",
            "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"x\"}}",
            "{}",
            "[]",
            "\"text\"",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad \u0001 control\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]} trailing",
            "{\"choices\":[{\"index\":00,\"delta\":{\"content\":\"leading zero\"}}]}",
            "{\"a\":tru}",
            "{\"a\":-}",
            "{\"a\":1.}",
            "{\"a\":\"\\x\"}",
            "{\"ch\\u006fices\":[{\"index\":0,\"delta\":{\"content\":\"escaped key\"}}]}");

    @Test
    void everyChunkAloneEndsAsJacksonEndsIt() {
        for (String chunk : CHUNKS) {
            assertSameOutcome(List.of(chunk.getBytes(StandardCharsets.UTF_8)), chunk);
        }
    }

    @Test
    void everyChunkCutAtEveryByteEndsAsJacksonEndsIt() {
        for (String chunk : CHUNKS) {
            byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
            for (int cut = 0; cut < bytes.length; cut++) {
                byte[] head = java.util.Arrays.copyOf(bytes, cut);
                assertSameOutcome(List.of(head), chunk + " cut at " + cut);
            }
        }
    }

    @Test
    void streamsOfMixedChunksEndAsJacksonEndsThem() {
        Random random = new Random(42);
        for (int stream = 0; stream < 2_000; stream++) {
            List<byte[]> events = new ArrayList<>();
            int count = 1 + random.nextInt(8);
            for (int i = 0; i < count; i++) {
                events.add(CHUNKS.get(random.nextInt(CHUNKS.size())).getBytes(StandardCharsets.UTF_8));
            }
            assertSameOutcome(events, "stream " + stream);
        }
    }

    @Test
    void readsTheChunkWithoutDecliningAndDeclinesWhatItLeavesToJackson() {
        ChunkScanner scanner = new ChunkScanner();
        StringBuilder content = new StringBuilder();
        assertThat(scan(scanner, CHUNKS.get(2), content)).isTrue();
        assertThat(content.toString()).isEqualTo(" wörld 😀 \"quoted\" \\ / \n\t\r\b\f");
        assertThat(scanner.hasContent()).isTrue();
        assertThat(scan(scanner, CHUNKS.get(9), content)).isTrue();
        assertThat(scanner.usageSeen()).isTrue();
        assertThat(scanner.totalTokens()).isEqualTo(24);
        assertThat(scan(scanner, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}", content))
                .isTrue();
        assertThat(scanner.finishReason()).isEqualTo("stop");

        assertThat(scan(scanner, CHUNKS.get(17), content)).as("tool calls").isFalse();
        assertThat(scan(scanner, CHUNKS.get(18), content)).as("an error").isFalse();
        assertThat(scan(scanner, "{\"a\":tru}", content)).as("broken JSON").isFalse();
        assertThat(scan(scanner, "{\"a\":1", content)).as("cut short").isFalse();
    }

    private static boolean scan(ChunkScanner scanner, String chunk, StringBuilder content) {
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        // Data sits inside a larger reused buffer: the scanner must stop at its end, not the array's.
        byte[] buffer = new byte[bytes.length + 8];
        System.arraycopy(bytes, 0, buffer, 3, bytes.length);
        java.util.Arrays.fill(buffer, 3 + bytes.length, buffer.length, (byte) '}');
        return scanner.scan(buffer, 3, bytes.length, content);
    }

    private static void assertSameOutcome(List<byte[]> events, String what) {
        StreamedAnswer scanned = new StreamedAnswer();
        StreamedAnswer parsed = StreamedAnswer.parsingEveryChunk();
        for (byte[] event : events) {
            byte[] padded = new byte[event.length + 4];
            System.arraycopy(event, 0, padded, 2, event.length);
            padded[0] = '{';
            padded[padded.length - 1] = '}';
            boolean scannedGoesOn = scanned.accept(padded, 2, event.length);
            boolean parsedGoesOn = parsed.accept(padded, 2, event.length);
            assertThat(scannedGoesOn).as(what).isEqualTo(parsedGoesOn);
        }
        assertThat(scanned.outcome()).as(what).isEqualTo(parsed.outcome());
    }
}
