package io.llmstream.call.http;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reading one streamed answer as a server sends it: the role chunk, eight content chunks, the finish chunk,
 * the usage chunk and {@code [DONE]} (OpenAI's shape, as the mock writes it), through the event reader into
 * the assembled answer. Once as one body part, once cut into three, as the HTTP client hands them over.
 */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
public class StreamedAnswerBenchmark {
    private byte[] body;
    private int[] cuts;

    @Setup
    public void setUp() {
        String head = "{\"id\":\"chatcmpl-req_mock_00000042\",\"object\":\"chat.completion.chunk\",\"created\":1796400000,"
                + "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":";
        String tail = ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}";
        StringBuilder events = new StringBuilder();
        events.append("data: ").append(head).append("{\"role\":\"assistant\",\"content\":\"\"}").append(tail).append("\n\n");
        for (String piece : new String[] {"Echo", "[3f2a", "]:", " Tag", " item", " 42", " with", " one"}) {
            events.append("data: ").append(head).append("{\"content\":\"").append(piece).append("\"}").append(tail)
                    .append("\n\n");
        }
        events.append("data: ").append(head).append("{}").append(",\"logprobs\":null,\"finish_reason\":\"length\"}],"
                + "\"usage\":null}\n\n");
        events.append("data: {\"id\":\"chatcmpl-req_mock_00000042\",\"object\":\"chat.completion.chunk\",\"created\":"
                + "1796400000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_mock\",\"choices\":[],\"usage\":"
                + "{\"prompt_tokens\":16,\"completion_tokens\":8,\"total_tokens\":24}}\n\n");
        events.append("data: [DONE]\n\n");
        body = events.toString().getBytes(StandardCharsets.UTF_8);
        cuts = new int[] {0, body.length / 3, 2 * body.length / 3, body.length};
    }

    @Benchmark
    public AttemptOutcome wholeBody() {
        StreamedAnswer answer = new StreamedAnswer();
        ServerSentEvents events = new ServerSentEvents(answer::accept);
        events.feed(ByteBuffer.wrap(body));
        events.end();
        return answer.outcome();
    }

    @Benchmark
    public AttemptOutcome bodyInThreeParts() {
        StreamedAnswer answer = new StreamedAnswer();
        ServerSentEvents events = new ServerSentEvents(answer::accept);
        for (int i = 0; i < 3; i++) {
            events.feed(ByteBuffer.wrap(body, cuts[i], cuts[i + 1] - cuts[i]));
        }
        events.end();
        return answer.outcome();
    }
}
