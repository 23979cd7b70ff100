package io.llmstream.call.http;

import io.llmstream.call.ChatAnswer;
import io.llmstream.record.ErrorKind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PlainAnswerTest {

    private static AttemptOutcome parse(String body) {
        return ResponseClassifier.parseAnswer(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheFirstChoicesMessageItsFinishReasonAndTheUsage() {
        AttemptOutcome outcome = parse("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Grüße \\\"hi\\\"\","
                + "\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"},"
                + "{\"index\":1,\"message\":{\"content\":\"second\"},\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0}},\"system_fingerprint\":null}");

        assertThat(outcome.succeeded()).isTrue();
        ChatAnswer answer = outcome.answer();
        assertThat(answer.content()).isEqualTo("Grüße \"hi\"");
        assertThat(answer.finishReason()).isEqualTo("stop");
        assertThat(answer.toolCalls()).isNull();
        assertThat(answer.promptTokens()).isEqualTo(9);
        assertThat(answer.completionTokens()).isEqualTo(4);
        assertThat(answer.totalTokens()).isEqualTo(13);
    }

    @Test
    void keepsToolCallsAsJsonAndCountsTheTotalWhenItIsMissing() {
        AttemptOutcome outcome = parse("{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2},\"choices\":[{"
                + "\"finish_reason\":\"tool_calls\",\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}");

        assertThat(outcome.succeeded()).isTrue();
        assertThat(outcome.answer().content()).isNull();
        assertThat(outcome.answer().toolCalls()).isEqualTo("[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"{}\"}}]");
        assertThat(outcome.answer().totalTokens()).isEqualTo(7);
    }

    @Test
    void aBodyWithoutAnAnswerIsMalformedAndSaysWhy() {
        assertThat(parse("{\"choices\":[{\"message\":{\"con")).satisfies(outcome -> {
            assertThat(outcome.kind()).isEqualTo(ErrorKind.MALFORMED_RESPONSE);
            assertThat(outcome.message()).startsWith("the body is not JSON");
        });
        assertThat(parse("[1, 2]").message()).startsWith("the body has no choices[0].message");
        assertThat(parse("{\"choices\":[]}").message()).startsWith("the body has no choices[0].message");
        assertThat(parse("{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[]}}]}").message())
                .startsWith("choices[0].message has neither content nor tool_calls");
        assertThat(parse("").message()).startsWith("the body has no choices[0].message");
    }
}
