package io.llmstream.batch;

import io.llmstream.TestConfigs;
import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.SourcePosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Batch API client against the project's mock over real sockets: upload, create, poll, read back, list. */
class BatchApiTest {

    private static LlmRequest request(int i, String prompt) {
        return new LlmRequest("r-" + i, "m1", 0, "{\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],"
                + "\"max_tokens\":8}", null, 5, 8, "{}", 2, 0, new SourcePosition("prompts", 0, i));
    }

    private static byte[] file(List<LlmRequest> requests, LlmStreamConfig config) {
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        for (LlmRequest request : requests) {
            jsonl.writeBytes(BatchLine.of(request, config.model("m1")));
            jsonl.write('\n');
        }
        return jsonl.toByteArray();
    }

    private static BatchStatus awaitEnd(BatchApi api, String batchId) throws Exception {
        for (int i = 0; i < 200; i++) {
            BatchStatus status = api.get(batchId).get(10, TimeUnit.SECONDS);
            if (status.hasEnded()) {
                return status;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("batch " + batchId + " did not end");
    }

    @Test
    @Timeout(60)
    void aFileGoesUpAsABatchAndEveryLineComesBackByItsCustomId() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0)
                .batchInProgress(Duration.ofMillis(300)).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(), "models: {m1: {endpoint: mock}}");
            EndpointSettings endpoint = config.endpointOf("m1");
            try (SharedHttpClient.Lease http = SharedHttpClient.acquire(config.http(), 4)) {
                BatchApi api = new BatchApi(endpoint, endpoint.apiKeys().get(0).secret(), http, Duration.ofSeconds(10));
                List<LlmRequest> requests = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    requests.add(request(i, i == 3 ? "refuse me [[mock:status=400]]" : "hello " + i));
                }

                String fileId = api.upload("lane-0.jsonl", file(requests, config)).get(10, TimeUnit.SECONDS);
                BatchStatus created = api.create(fileId, BatchLine.url(config.model("m1")), "24h",
                        Map.of("llmstream", "job/m1/0/0")).get(10, TimeUnit.SECONDS);
                BatchStatus ended = awaitEnd(api, created.id());

                assertThat(ended.status()).isEqualTo("completed");
                assertThat(ended.metadata()).isEqualTo(Map.of("llmstream", "job/m1/0/0"));
                assertThat(ended.total()).isEqualTo(5);
                List<LineResult> results = new ArrayList<>();
                for (String line : api.lines(ended.outputFileId()).get(10, TimeUnit.SECONDS)) {
                    results.add(LineResult.parse(line));
                }
                for (String line : api.lines(ended.errorFileId()).get(10, TimeUnit.SECONDS)) {
                    results.add(LineResult.parse(line));
                }
                Set<String> expected = new HashSet<>();
                requests.forEach(request -> expected.add(BatchLine.customId(request)));
                assertThat(results).extracting(LineResult::customId).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(results).filteredOn(LineResult::answered).hasSize(4).allSatisfy(result ->
                        assertThat(result.body().path("choices").get(0).path("message").path("content").asText())
                                .isNotEmpty());
                assertThat(results).filteredOn(result -> !result.answered()).singleElement().satisfies(result -> {
                    assertThat(result.customId()).isEqualTo(BatchLine.customId(requests.get(3)));
                    assertThat(result.status()).isEqualTo(400);
                });
                BatchApi.Page page = api.list(null, 10).get(10, TimeUnit.SECONDS);
                assertThat(page.batches()).extracting(BatchStatus::id).contains(created.id());
                assertThatThrownBy(() -> api.get("batch_nope").join()).cause()
                        .hasMessageContaining("could not read batch batch_nope: HTTP 404");
            }
        }
    }

    @Test
    @Timeout(60)
    void aRefusalSaysWhatWasTriedTheStatusAndTheWaitButNeverTheKey() throws Exception {
        try (MockLlmServer server = MockLlmServer.start(MockOptions.builder().port(0).batchRpm(1).build())) {
            LlmStreamConfig config = TestConfigs.withEndpoint(server.baseUrl(), "models: {m1: {endpoint: mock}}");
            EndpointSettings endpoint = config.endpointOf("m1");
            try (SharedHttpClient.Lease http = SharedHttpClient.acquire(config.http(), 4)) {
                BatchApi api = new BatchApi(endpoint, endpoint.apiKeys().get(0).secret(), http, Duration.ofSeconds(10));
                api.upload("a.jsonl", file(List.of(request(1, "a")), config)).get(10, TimeUnit.SECONDS);

                assertThatThrownBy(() -> api.upload("b.jsonl", file(List.of(request(2, "b")), config)).join())
                        .isInstanceOf(CompletionException.class)
                        .cause().isInstanceOf(BatchApiException.class)
                        .hasMessageContaining("could not upload a batch file: HTTP 429")
                        .hasMessageNotContaining("test-key")
                        .satisfies(e -> assertThat(((BatchApiException) e).retryAfterMillis()).isPositive());
            }
        }
    }
}
