package io.llmstream.local.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import static io.llmstream.local.mock.MockTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each directive kind over a real socket: N scripted failures, then success, counted in the stats. */
class MockDirectivesHttpTest {

    private static final String KEY = "sk-scenario";
    private static final String MODEL = "gpt-4o";
    private static MockLlmServer server;
    private static MockTestClient client;

    @BeforeAll
    static void start() {
        server = MockLlmServer.start(MockOptions.builder().port(0).build());
        client = new MockTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void failsTwiceThenSucceedsCountingEveryRequest() throws Exception {
        String prompt = "summarise [[mock:500x2]] this";
        MockStats before = server.stats();

        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(500);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(500);
        MockTestClient.Reply third = client.chat(KEY, MODEL, prompt);

        assertThat(third.status()).isEqualTo(200);
        assertThat(third.json().at("/choices/0/message/content").asText()).isEqualTo(MockAnswers.contentFor(prompt));
        MockStats after = server.stats();
        assertThat(after.status(500) - before.status(500)).isEqualTo(2);
        assertThat(after.status(200) - before.status(200)).isEqualTo(1);
        assertThat(after.keyModel(KEY, MODEL).requests() - before.keyModel(KEY, MODEL).requests()).isEqualTo(3);
        assertThat(after.keyModel(KEY, MODEL).admitted() - before.keyModel(KEY, MODEL).admitted()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource({
        "400, invalid_request_error,",
        "401, invalid_request_error, invalid_api_key",
        "403, invalid_request_error, permission_denied",
        "404, invalid_request_error, model_not_found",
        "408, timeout, timeout",
        "409, invalid_request_error, conflict",
        "422, invalid_request_error, unprocessable_entity",
        "429, requests, rate_limit_exceeded",
        "500, server_error, server_error",
        "502, server_error, bad_gateway",
        "503, service_unavailable, service_unavailable",
        "418, invalid_request_error,",
    })
    void anyStatusOnceThenSuccess(int status, String type, String code) throws Exception {
        String prompt = "status " + status + " [[mock:" + status + "]]";

        client.chat(KEY, MODEL, prompt).assertOpenAiError(status, type, code);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
    }

    @Test
    void contextLengthExceededAndInsufficientQuotaCarryTheirCodes() throws Exception {
        JsonNode context = client.chat(KEY, MODEL, "[[mock:context_length_exceeded]] long")
                .assertOpenAiError(400, "invalid_request_error", "context_length_exceeded");
        assertThat(context.get("message").asText()).startsWith("This model's maximum context length is ");

        client.chat(KEY, MODEL, "[[mock:insufficient_quota]] broke")
                .assertOpenAiError(429, "insufficient_quota", "insufficient_quota");
        assertThat(client.chat(KEY, MODEL, "[[mock:insufficient_quota]] broke").status()).isEqualTo(200);
    }

    @Test
    void playsSeveralStepsInSequence() throws Exception {
        String prompt = "[[mock:429x1,500x1]] sequence";

        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(429);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(500);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
    }

    @Test
    void controlsTheRetryHeadersOfA429() throws Exception {
        MockTestClient.Reply seconds = client.chat(KEY, MODEL, "[[mock:429(retry-after=2)]] s");
        assertThat(seconds.header("retry-after")).isEqualTo("2");
        assertThat(seconds.header("retry-after-ms")).isNull();

        MockTestClient.Reply millis = client.chat(KEY, MODEL, "[[mock:429x1(retry-after-ms=300)]] ms");
        assertThat(millis.header("retry-after-ms")).isEqualTo("300");
        assertThat(millis.header("retry-after")).isNull();

        ZonedDateTime sent = ZonedDateTime.now();
        MockTestClient.Reply date = client.chat(KEY, MODEL, "[[mock:429(retry-after=date+2s)]] date");
        ZonedDateTime at = ZonedDateTime.parse(date.header("retry-after"), DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(date.header("retry-after")).endsWith(" GMT");
        assertThat(at).isAfterOrEqualTo(sent.plusSeconds(2).withNano(0)).isBeforeOrEqualTo(sent.plusSeconds(4));

        MockTestClient.Reply bare = client.chat(KEY, MODEL, "[[mock:429]] bare");
        assertThat(bare.header("retry-after")).isNull();
        assertThat(bare.header("retry-after-ms")).isNull();
    }

    @Test
    void resetAbortsTheConnection() throws Exception {
        String prompt = "[[mock:reset]] abort";
        long resets = server.stats().resets();

        assertThatThrownBy(() -> client.chat(KEY, MODEL, prompt))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
        assertThat(server.stats().resets()).isEqualTo(resets + 1);
    }

    @Test
    void hangNeverAnswersSoTheClientTimesOut() throws Exception {
        String prompt = "[[mock:hang]] wait";
        long hangs = server.stats().hangs();

        assertThatThrownBy(() -> client.chatWithTimeout(KEY, MODEL, prompt, Duration.ofMillis(300)))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(client.chat(KEY, MODEL, prompt).status()).isEqualTo(200);
        assertThat(server.stats().hangs()).isEqualTo(hangs + 1);
    }

    @Test
    void malformedAnswersAre200WithABrokenBody() throws Exception {
        long malformed = server.stats().malformed();

        MockTestClient.Reply cut = client.chat(KEY, MODEL, "[[mock:malformed]] cut");
        assertThat(cut.status()).isEqualTo(200);
        assertThatThrownBy(() -> JSON.readTree(cut.body())).isInstanceOf(JsonProcessingException.class);

        MockTestClient.Reply noChoices = client.chat(KEY, MODEL, "[[mock:no_choices]] empty");
        assertThat(noChoices.status()).isEqualTo(200);
        assertThat(noChoices.json().get("object").asText()).isEqualTo("chat.completion");
        assertThat(noChoices.json().has("choices")).isFalse();

        assertThat(server.stats().malformed()).isEqualTo(malformed + 2);
    }

    @Test
    void aBrokenDirectiveIsA400ThatSaysWhy() throws Exception {
        JsonNode error = client.chat(KEY, MODEL, "[[mock:500x]] typo")
                .assertOpenAiError(400, "invalid_request_error", null);

        assertThat(error.get("message").asText())
                .isEqualTo("invalid mock directive [[mock:500x]]: step '500x' is not ACTION[xCOUNT][(PARAMS)]");
        assertThat(error.get("param").asText()).isEqualTo("messages");
    }
}
