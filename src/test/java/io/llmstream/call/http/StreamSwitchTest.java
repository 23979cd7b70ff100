package io.llmstream.call.http;

import io.llmstream.record.ErrorKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StreamSwitchTest {
    private static AttemptOutcome badRequest(String message) {
        return AttemptOutcome.failure(ErrorKind.BAD_REQUEST, 400, null, "HTTP 400: " + message, false, null);
    }

    @Test
    void aRefusedStreamOptionsStepsDownToAStreamWithoutUsage() {
        StreamSwitch azure = new StreamSwitch("azure", true);

        assertThat(azure.refused(StreamSwitch.Mode.STREAM_WITH_USAGE,
                badRequest("Unrecognized request argument supplied: stream_options"))).isTrue();

        assertThat(azure.mode()).isEqualTo(StreamSwitch.Mode.STREAM);
    }

    @Test
    void aRefusedStreamStepsDownToPlainAnswers() {
        StreamSwitch server = new StreamSwitch("old", true);

        assertThat(server.refused(StreamSwitch.Mode.STREAM_WITH_USAGE, badRequest("streaming is not supported")))
                .isTrue();
        assertThat(server.mode()).isEqualTo(StreamSwitch.Mode.PLAIN);
        assertThat(server.refused(StreamSwitch.Mode.PLAIN, badRequest("stream"))).as("plain asks nothing").isFalse();
    }

    @Test
    void anErrorInsideAStreamLeavesStreamingOnWhateverItSays() throws Exception {
        StreamSwitch server = new StreamSwitch("gateway", true);
        AttemptOutcome inBand = ProviderError.insideAnswer(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"message\":\"stream refused: flagged\",\"type\":\"invalid_request_error\"}"), "in the stream");

        assertThat(inBand.status()).isEqualTo(400);
        assertThat(server.refused(StreamSwitch.Mode.STREAM_WITH_USAGE, inBand)).isFalse();
        assertThat(server.mode()).isEqualTo(StreamSwitch.Mode.STREAM_WITH_USAGE);
    }

    @Test
    void otherFailuresLeaveStreamingOn() {
        StreamSwitch server = new StreamSwitch("openai", true);

        assertThat(server.refused(StreamSwitch.Mode.STREAM_WITH_USAGE, badRequest("'messages' must be an array")))
                .isFalse();
        assertThat(server.refused(StreamSwitch.Mode.STREAM_WITH_USAGE, AttemptOutcome.failure(ErrorKind.SERVER_ERROR,
                500, null, "HTTP 500: stream broke", true, null))).isFalse();
        assertThat(server.mode()).isEqualTo(StreamSwitch.Mode.STREAM_WITH_USAGE);
    }

    @Test
    void anEndpointConfiguredWithoutStreamingAsksForPlainAnswers() {
        assertThat(new StreamSwitch("vllm", false).mode()).isEqualTo(StreamSwitch.Mode.PLAIN);
    }
}
