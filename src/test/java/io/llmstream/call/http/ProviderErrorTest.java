package io.llmstream.call.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.record.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderErrorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The error object of a 200 answer, by its type, code and status, as the table has it. */
    @ParameterizedTest(name = "{0} -> {1} {2}, retried {3}, rate limited {4}")
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"invalid_request_error\",\"code\":\"invalid_prompt\"}   | BAD_REQUEST             | 400 | false | false",
            "{\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"} | CONTEXT_LENGTH_EXCEEDED | 400 | false | false",
            "{\"type\":\"rate_limit_error\"}                                    | RATE_LIMITED            | 429 | true  | true",
            "{\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}            | RATE_LIMITED            | 429 | true  | true",
            "{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"} | QUOTA_EXCEEDED          | 429 | false | false",
            "{\"type\":\"authentication_error\"}                                | AUTH                    | 401 | false | false",
            "{\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}  | AUTH                    | 401 | false | false",
            "{\"type\":\"permission_error\"}                                    | AUTH                    | 403 | false | false",
            "{\"type\":\"not_found_error\"}                                     | NOT_FOUND               | 404 | false | false",
            "{\"type\":\"server_error\",\"code\":null}                          | SERVER_ERROR            | 500 | true  | false",
            "{\"type\":\"api_error\"}                                           | SERVER_ERROR            | 500 | true  | false",
            "{\"type\":\"overloaded_error\"}                                    | SERVER_ERROR            | 503 | true  | false",
            "{\"type\":\"something_new\"}                                       | SERVER_ERROR            | 500 | true  | false",
            "{\"message\":\"no type at all\"}                                   | SERVER_ERROR            | 500 | true  | false",
            "{\"code\":400,\"type\":\"invalid_request_error\"}                  | BAD_REQUEST             | 400 | false | false",
            "{\"code\":503,\"type\":\"unavailable_error\"}                      | SERVER_ERROR            | 503 | true  | false",
            "{\"status\":429,\"type\":\"whatever\"}                             | RATE_LIMITED            | 429 | true  | true",
            "{\"status\":\"401\"}                                               | AUTH                    | 401 | false | false",
    })
    void anErrorInsideAnAnswerIsTheErrorItStandsFor(String error, ErrorKind kind, int status, boolean retried,
            boolean rateLimited) throws Exception {
        AttemptOutcome outcome = ProviderError.insideAnswer(JSON.readTree(error), "in the stream");

        assertThat(outcome.kind()).isEqualTo(kind);
        assertThat(outcome.status()).isEqualTo(status);
        assertThat(outcome.retryable()).isEqualTo(retried);
        assertThat(outcome.isRateLimited()).isEqualTo(rateLimited);
        assertThat(outcome.isKeyRefused()).isEqualTo(status == 401 || status == 403);
    }

    @Test
    void theMessageSaysWhereTheErrorCameAndWhatItSaid() throws Exception {
        JsonNode error = JSON.readTree("{\"message\":\"Invalid prompt: flagged.\",\"type\":\"invalid_request_error\","
                + "\"code\":\"invalid_prompt\"}");

        assertThat(ProviderError.insideAnswer(error, "in the stream").message()).isEqualTo(
                "error in the stream of a 200 answer (invalid_request_error, invalid_prompt): Invalid prompt: flagged.");
    }

    @Test
    void aPlainBodyThatIsAnErrorObjectIsClassifiedAsOne() {
        byte[] body = "{\"error\":{\"message\":\"Invalid prompt: flagged.\",\"type\":\"invalid_request_error\",\"code\":\"invalid_prompt\"}}"
                .getBytes(StandardCharsets.UTF_8);

        AttemptOutcome outcome = ResponseClassifier.parseAnswer(body);

        assertThat(outcome.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(outcome.retryable()).isFalse();
        assertThat(outcome.message()).startsWith("error in the body of a 200 answer");
    }

    @Test
    void anErrorStatusIsRefinedByTheTypeAsWellAsTheCode() throws Exception {
        AttemptOutcome outcome = ProviderError.behindStatus(429,
                JSON.readTree("{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\"}"), "",
                null);

        assertThat(outcome.kind()).isEqualTo(ErrorKind.QUOTA_EXCEEDED);
        assertThat(outcome.retryable()).isFalse();
        assertThat(outcome.message()).isEqualTo("HTTP 429: You exceeded your current quota");
    }
}
