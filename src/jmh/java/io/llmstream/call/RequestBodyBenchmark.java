package io.llmstream.call;

import io.llmstream.call.http.StreamSwitch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The body of one attempt: the parsed prompt with the provider's model first and the stream options last. */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
public class RequestBodyBenchmark {
    private final String prompt = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tag item 123456 with one word.\"}],"
            + "\"max_tokens\":8}";
    private final String chat = "{\"messages\":[{\"role\":\"system\",\"content\":\"You classify hotel reviews.\"},"
            + "{\"role\":\"user\",\"content\":\"" + "The room was clean and the staff were friendly. ".repeat(20)
            + "\"}],\"max_tokens\":64,\"temperature\":0.2,\"response_format\":{\"type\":\"json_object\"}}";

    @Benchmark
    public byte[] shortPromptStreamed() {
        return ChatRequestFactory.bodyWithModel("gpt-4o-mini", prompt, StreamSwitch.Mode.STREAM_WITH_USAGE);
    }

    @Benchmark
    public byte[] longChatStreamed() {
        return ChatRequestFactory.bodyWithModel("gpt-4o-mini", chat, StreamSwitch.Mode.STREAM_WITH_USAGE);
    }
}
