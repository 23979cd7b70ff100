package io.llmstream.parse;

import io.llmstream.record.ParsedInput;
import io.llmstream.config.ConfigLoader;
import io.llmstream.record.InputRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;

/** The parse stage per record: UTF-8, JSON, validation and the o200k token estimate. */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
public class PromptParserBenchmark {
    private PromptParser parser;
    private InputRecord shortPrompt;
    private InputRecord longChat;

    @Setup
    public void setUp() {
        parser = new PromptParser(new ConfigLoader(name -> null).loadYaml(
                "endpoints: {e: {base-url: 'http://x'}}\nmodels: {gpt-4o-mini: {endpoint: e, tpm: 10000000}}"));
        shortPrompt = record("{\"id\": \"r-1\", \"prompt\": \"Translate to French: the weather is lovely today\","
                + " \"max_tokens\": 64, \"metadata\": {\"customer\": 42}}");
        String paragraph = "Our customers ask about delivery times, returns and warranty claims. ".repeat(30);
        longChat = record("{\"id\": \"r-2\", \"messages\": [{\"role\": \"system\", \"content\": \"You summarize support"
                + " tickets.\"}, {\"role\": \"user\", \"content\": \"" + paragraph + "\"}], \"max_tokens\": 200,"
                + " \"temperature\": 0.2}");
    }

    private static InputRecord record(String json) {
        return new InputRecord("prompts", 0, 0, 0, json.getBytes(StandardCharsets.UTF_8));
    }

    @Benchmark
    public ParsedInput shortPrompt() {
        return parser.parse(shortPrompt, 0);
    }

    @Benchmark
    public ParsedInput longChat() {
        return parser.parse(longChat, 0);
    }
}
