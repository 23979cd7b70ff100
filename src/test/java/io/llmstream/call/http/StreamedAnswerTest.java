package io.llmstream.call.http;

import io.llmstream.call.ChatAnswer;
import io.llmstream.record.ErrorKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StreamedAnswerTest {
    private static String chunk(String delta, String finishReason) {
        return "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"finish_reason\":" + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}";
    }

    @Test
    void joinsContentDeltasAndTakesTheUsageOfTheLastChunk() {
        StreamedAnswer answer = new StreamedAnswer();
        assertThat(answer.started()).isFalse();
        answer.accept(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
        answer.accept(chunk("{\"content\":\"Hel\"}", null));
        answer.accept(chunk("{\"content\":\"lo, 世界\"}", null));
        answer.accept(chunk("{}", "stop"));
        answer.accept("{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}");
        assertThat(answer.accept("[DONE]")).isFalse();

        AttemptOutcome outcome = answer.outcome();
        assertThat(answer.started()).isTrue();
        assertThat(outcome.succeeded()).isTrue();
        assertThat(outcome.answer()).isEqualTo(new ChatAnswer("Hello, 世界", "stop", null, 9, 4, 13));
    }

    @Test
    void assemblesToolCallsWhoseArgumentsArriveInPieces() {
        StreamedAnswer answer = new StreamedAnswer();
        answer.accept(chunk("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}", null));
        answer.accept(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}", null));
        answer.accept(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}", null));
        answer.accept(chunk("{}", "tool_calls"));
        answer.accept("[DONE]");

        ChatAnswer chat = answer.outcome().answer();
        assertThat(chat.content()).isNull();
        assertThat(chat.finishReason()).isEqualTo("tool_calls");
        assertThat(chat.toolCalls()).isEqualTo("[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]");
        assertThat(chat.promptTokens()).as("no usage chunk").isEqualTo(-1);
    }

    @Test
    void aStreamThatEndsWithoutFinishReasonOrDoneIsABrokenConnection() {
        StreamedAnswer answer = new StreamedAnswer();
        answer.accept(chunk("{\"content\":\"Hel\"}", null));

        AttemptOutcome outcome = answer.outcome();
        assertThat(outcome.kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(outcome.retryable()).isTrue();
        assertThat(outcome.message()).contains("without a finish_reason or [DONE]");
    }

    @Test
    void aFinishReasonWithoutDoneIsEnough() {
        StreamedAnswer answer = new StreamedAnswer();
        answer.accept(chunk("{\"content\":\"Hi\"}", "length"));

        assertThat(answer.outcome().answer().content()).isEqualTo("Hi");
        assertThat(answer.outcome().answer().finishReason()).isEqualTo("length");
    }

    @Test
    void aChunkThatIsNotJsonIsMalformed() {
        StreamedAnswer answer = new StreamedAnswer();
        answer.accept(chunk("{\"content\":\"Hi\"}", null));

        assertThat(answer.accept("{\"choices\":[{\"ind")).isFalse();
        AttemptOutcome outcome = answer.outcome();
        assertThat(outcome.kind()).isEqualTo(ErrorKind.MALFORMED_RESPONSE);
        assertThat(outcome.retryable()).isTrue();
        assertThat(outcome.message()).contains("event 2 of the stream is not JSON").contains("{\"choices\":[{\"ind");
    }

    @Test
    void anErrorEventIsARetryableServerError() {
        StreamedAnswer answer = new StreamedAnswer();
        answer.accept("{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"code\":null}}");

        AttemptOutcome outcome = answer.outcome();
        assertThat(outcome.kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(outcome.retryable()).isTrue();
        assertThat(outcome.status()).isEqualTo(500);
        assertThat(outcome.message()).isEqualTo("error in the stream of a 200 answer (server_error): The server had an error");
    }
}
