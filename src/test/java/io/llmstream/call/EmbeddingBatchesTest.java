package io.llmstream.call;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.TestConfigs;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.local.mock.MockAnswers;
import io.llmstream.local.mock.MockLlmServer;
import io.llmstream.local.mock.MockOptions;
import io.llmstream.local.mock.MockStats;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Embedding inputs through the call stage in Flink's async operator harness, against the mock over real
 * sockets: how batches form, that each input gets the vector of its own text, and what a batch's failures
 * do to its inputs, counting the requests the mock saw.
 */
@Timeout(60)
class EmbeddingBatchesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MOCK_DIMS = MockOptions.DEFAULT_EMBEDDING_DIMS;
    private static MockLlmServer mock;

    @BeforeAll
    static void startMock() {
        mock = MockLlmServer.start(MockOptions.builder().port(0).latencyMs(2).seed(11).build());
    }

    @AfterAll
    static void stopMock() {
        mock.close();
    }

    /** An embedding model (and its provider model) of the given name, so each test counts its own requests. */
    private static LlmStreamConfig config(String models) {
        return TestConfigs.withEndpoint(mock.baseUrl(), "models: " + models,
                "call: {timeout: 10s, attempt-timeout: 2s, retry: {max-attempts: 3, initial-backoff: 10ms, "
                        + "max-backoff: 50ms}}");
    }

    private static ParsedInput input(String model, String id, String text, int tokens, String parameters) {
        ObjectNode body = JSON.createObjectNode().put("input", text);
        if (parameters != null) {
            try {
                body.setAll((ObjectNode) JSON.readTree(parameters));
            } catch (Exception e) {
                throw new IllegalArgumentException(e);
            }
        }
        String value = "{\"id\": \"" + id + "\", \"input\": \"" + text + "\"}";
        LlmRequest request = new LlmRequest(id, model, 0, body.toString(), "{\"n\":\"" + id + "\"}", tokens, 0, value,
                value.length(), System.currentTimeMillis(), new SourcePosition("prompts", 0, 1));
        return ParsedInput.valid(request);
    }

    private static List<ParsedInput> inputs(String model, int count, String prefix) {
        List<ParsedInput> inputs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            inputs.add(input(model, prefix + i, prefix + " text number " + i, 5, null));
        }
        return inputs;
    }

    private static List<CallResult> run(LlmStreamConfig config, List<ParsedInput> requests) throws Exception {
        return CallStageHarness.run(config, 30_000, 64, AsyncDataStream.OutputMode.UNORDERED, requests);
    }

    /** Requests the mock took for a provider model, and how many of them it refused with 429. */
    private static long requestsTo(String model) {
        return mock.stats().byKeyModel().values().stream().filter(k -> k.model().equals(model))
                .mapToLong(MockStats.KeyModel::requests).sum();
    }

    private static Map<String, Completion> completionsById(List<CallResult> results) {
        Map<String, Completion> byId = new HashMap<>();
        for (CallResult result : results) {
            if (result.completion() != null) {
                assertThat(byId.put(result.completion().id(), result.completion())).as("one result per id").isNull();
            }
        }
        return byId;
    }

    /** The completion holds the mock's vector of exactly this text. */
    private static void assertOwnVector(Completion completion, String text, int dims) throws Exception {
        JsonNode vector = JSON.readTree(completion.embedding());
        float[] expected = MockAnswers.embeddingFor(text, dims);
        assertThat(vector.size()).isEqualTo(dims);
        for (int i = 0; i < dims; i++) {
            assertThat((float) vector.get(i).asDouble()).as("%s[%d]", completion.id(), i)
                    .isCloseTo(expected[i], within(1e-6f));
        }
    }

    private static String textOf(ParsedInput queued) throws Exception {
        return JSON.readTree(queued.request().body()).get("input").asText();
    }

    @Test
    void eachInputGetsTheVectorOfItsOwnTextInBatchesOfMaxInputs() throws Exception {
        LlmStreamConfig config = config("{e-count: {endpoint: mock, kind: embedding, batch: {max-inputs: 4, max-wait: 200ms}}}");
        List<ParsedInput> requests = inputs("e-count", 10, "count");

        List<CallResult> results = run(config, requests);

        Map<String, Completion> byId = completionsById(results);
        assertThat(byId).hasSize(10);
        long promptTokens = 0;
        for (ParsedInput request : requests) {
            Completion completion = byId.get(request.request().id());
            assertOwnVector(completion, textOf(request), MOCK_DIMS);
            assertThat(completion.model()).isEqualTo("e-count");
            assertThat(completion.content()).isNull();
            assertThat(completion.metadata()).isEqualTo("{\"n\":\"" + request.request().id() + "\"}");
            assertThat(completion.usageShared()).isTrue();
            assertThat(completion.attempts()).isEqualTo(1);
            promptTokens += completion.promptTokens();
        }
        assertThat(requestsTo("e-count")).as("4 + 4 + 2 inputs").isEqualTo(3);
        assertThat(promptTokens).as("the shares add up to what the mock counted")
                .isEqualTo(results.stream().mapToLong(r -> r.metric().promptTokens()).sum())
                .isPositive();
        assertThat(results).allSatisfy(r -> assertThat(r.metric().succeeded()).isTrue());
    }

    @Test
    void aBatchGoesBeforeTheNextInputWouldPassMaxTokens() throws Exception {
        LlmStreamConfig config = config(
                "{e-tokens: {endpoint: mock, kind: embedding, batch: {max-inputs: 100, max-tokens: 10, max-wait: 100ms}}}");

        List<CallResult> results = run(config, inputs("e-tokens", 6, "tokens"));

        assertThat(completionsById(results)).hasSize(6);
        assertThat(requestsTo("e-tokens")).as("two inputs of 5 tokens per request").isEqualTo(3);
    }

    @Test
    void aBatchGoesAfterMaxWaitWithTheInputsItHas() throws Exception {
        LlmStreamConfig config = config("{e-wait: {endpoint: mock, kind: embedding, batch: {max-inputs: 100, max-wait: 300ms}}}");
        long start = System.nanoTime();

        List<CallResult> results = run(config, inputs("e-wait", 3, "wait"));

        assertThat(completionsById(results)).hasSize(3);
        assertThat(requestsTo("e-wait")).isEqualTo(1);
        assertThat(results.get(0).completion().latencyMs() + results.get(0).completion().waitMs())
                .isLessThan((System.nanoTime() - start) / 1_000_000);
        assertThat((System.nanoTime() - start) / 1_000_000).as("waited for max-wait").isGreaterThanOrEqualTo(300);
    }

    @Test
    void whileABatchWaitsForBudgetTheNextKeepsGatheringPastMaxWait() throws Exception {
        // 60 RPM: after the first request, one a second. Inputs come every 25 ms for 1.5 s; max-wait alone
        // would cut a batch every 50 ms, some 30 requests.
        LlmStreamConfig config = config("{e-budget: {endpoint: mock, kind: embedding, rpm: 60, "
                + "batch: {max-inputs: 100, max-wait: 50ms}}}");
        List<ParsedInput> requests = inputs("e-budget", 60, "budget");
        List<CallResult> results;
        try (var harness = CallStageHarness.open(config, 30_000, 200, AsyncDataStream.OutputMode.UNORDERED)) {
            for (ParsedInput request : requests) {
                harness.processElement(new org.apache.flink.streaming.runtime.streamrecord.StreamRecord<>(request, 0));
                Thread.sleep(25);
            }
            harness.endInput();
            results = CallStageHarness.results(harness);
        }

        Map<String, Completion> byId = completionsById(results);
        assertThat(byId).hasSize(60);
        for (ParsedInput request : requests) {
            assertOwnVector(byId.get(request.request().id()), textOf(request), MOCK_DIMS);
        }
        assertThat(requestsTo("e-budget")).as("about one request per second of arrivals").isBetween(2L, 4L);
    }

    @Test
    void inputsWithOtherParametersGoInOtherBatches() throws Exception {
        LlmStreamConfig config = config("{e-params: {endpoint: mock, kind: embedding, batch: {max-wait: 100ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-params", "p0", "params zero", 3, null),
                input("e-params", "p1", "params one", 3, "{\"dimensions\": 8}"),
                input("e-params", "p2", "params two", 3, null),
                input("e-params", "p3", "params three", 3, "{\"dimensions\": 8}"),
                input("e-params", "p4", "params four", 3, "{\"encoding_format\": \"base64\"}"));

        Map<String, Completion> byId = completionsById(run(config, requests));

        assertThat(requestsTo("e-params")).isEqualTo(3);
        assertOwnVector(byId.get("p0"), "params zero", MOCK_DIMS);
        assertOwnVector(byId.get("p1"), "params one", 8);
        assertOwnVector(byId.get("p2"), "params two", MOCK_DIMS);
        assertOwnVector(byId.get("p3"), "params three", 8);
        assertThat(JSON.readTree(byId.get("p4").embedding()).isTextual()).as("base64 passes through as a string").isTrue();
    }

    @Test
    void aMissingOrRepeatedIndexIsAskedAgainAndNeverGivenAnothersVector() throws Exception {
        LlmStreamConfig config = config("{e-index: {endpoint: mock, kind: embedding, batch: {max-inputs: 4, max-wait: 100ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-index", "i0", "index zero", 3, null),
                input("e-index", "i1", "[[mock:dup_index]] index one", 3, null),
                input("e-index", "i2", "index two", 3, null),
                input("e-index", "i3", "[[mock:no_vector]] index three", 3, null));

        List<CallResult> results = run(config, requests);

        Map<String, Completion> byId = completionsById(results);
        assertThat(byId).hasSize(4);
        for (ParsedInput request : requests) {
            assertOwnVector(byId.get(request.request().id()), textOf(request), MOCK_DIMS);
        }
        // i1's vector came first under i2's index, then i2's own: neither trusted; i3's none. Those three asked again.
        assertThat(requestsTo("e-index")).isEqualTo(2);
    }

    @Test
    void anInputWhoseVectorNeverComesIsADeadLetterAfterMalformedAttempts() throws Exception {
        LlmStreamConfig config = config("{e-never: {endpoint: mock, kind: embedding, batch: {max-wait: 50ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-never", "n0", "never zero", 3, null),
                input("e-never", "n1", "[[mock:no_vectorx*]] never one", 3, null));

        List<CallResult> results = run(config, requests);

        assertThat(completionsById(results)).containsOnlyKeys("n0");
        CallResult failed = results.stream().filter(r -> r.deadLetter() != null).findFirst().orElseThrow();
        assertThat(failed.deadLetter().id()).isEqualTo("n1");
        assertThat(failed.deadLetter().kind()).isEqualTo(ErrorKind.MALFORMED_RESPONSE);
        assertThat(failed.deadLetter().message()).isEqualTo(
                "the answers to 2 embeddings requests had no vector for this input (index 0 of the last, missing or repeated)");
        assertThat(failed.deadLetter().input()).isEqualTo(requests.get(1).request().input());
        assertThat(requestsTo("e-never")).as("call.retry.malformed-attempts (2)").isEqualTo(2);
    }

    @Test
    void aRateLimitedBatchWaitsForRetryAfterWithoutSpendingAnAttempt() throws Exception {
        LlmStreamConfig config = config("{e-429: {endpoint: mock, kind: embedding, batch: {max-wait: 100ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-429", "r0", "limited zero", 3, null),
                input("e-429", "r1", "[[mock:429x1(retry-after-ms=400)]] limited one", 3, null),
                input("e-429", "r2", "limited two", 3, null));

        List<CallResult> results = run(config, requests);

        Map<String, Completion> byId = completionsById(results);
        assertThat(byId).hasSize(3);
        for (ParsedInput request : requests) {
            assertOwnVector(byId.get(request.request().id()), textOf(request), MOCK_DIMS);
            assertThat(byId.get(request.request().id()).latencyMs()).isGreaterThanOrEqualTo(400);
        }
        assertThat(requestsTo("e-429")).isEqualTo(2);
        assertThat(results.stream().mapToInt(r -> r.metric().rateLimitedResponses()).sum())
                .as("the one 429, counted once").isEqualTo(1);
    }

    @Test
    void aServerErrorRetriesTheWholeBatch() throws Exception {
        LlmStreamConfig config = config("{e-500: {endpoint: mock, kind: embedding, batch: {max-wait: 100ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-500", "s0", "[[mock:500x1]] server zero", 3, null),
                input("e-500", "s1", "server one", 3, null));

        Map<String, Completion> byId = completionsById(run(config, requests));

        assertThat(byId.values()).extracting(Completion::attempts).containsOnly(2);
        assertOwnVector(byId.get("s1"), "server one", MOCK_DIMS);
        assertThat(requestsTo("e-500")).isEqualTo(2);
    }

    @Test
    void aBatchRefusedForOneInputIsAskedInHalvesUntilThatInputIsAlone() throws Exception {
        LlmStreamConfig config = config("{e-400: {endpoint: mock, kind: embedding, batch: {max-wait: 100ms}}}");
        List<ParsedInput> requests = List.of(
                input("e-400", "b0", "refused zero", 3, null),
                input("e-400", "b1", "[[mock:400x*]] refused one", 3, null),
                input("e-400", "b2", "refused two", 3, null));

        List<CallResult> results = run(config, requests);

        Map<String, Completion> byId = completionsById(results);
        assertThat(byId).containsOnlyKeys("b0", "b2");
        assertOwnVector(byId.get("b0"), "refused zero", MOCK_DIMS);
        assertOwnVector(byId.get("b2"), "refused two", MOCK_DIMS);
        assertThat(byId.get("b0").usageShared()).as("alone, its usage is its own").isFalse();
        CallResult refused = results.stream().filter(r -> r.deadLetter() != null).findFirst().orElseThrow();
        assertThat(refused.deadLetter().id()).isEqualTo("b1");
        assertThat(refused.deadLetter().kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(refused.deadLetter().status()).isEqualTo(400);
        assertThat(refused.deadLetter().model()).isEqualTo("e-400");
        assertThat(refused.metric().errorKind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(requestsTo("e-400")).as("[b0 b1 b2], then [b0] and [b1 b2], then [b1] and [b2]").isEqualTo(5);
    }

    @Test
    void aBatchWhoseQuotaIsGoneFallsBackToAnotherEmbeddingModel() throws Exception {
        LlmStreamConfig config = config("{e-main: {endpoint: mock, kind: embedding, fallbacks: [e-spare], "
                + "batch: {max-wait: 100ms}}, e-spare: {endpoint: mock, kind: embedding}}");
        List<ParsedInput> requests = List.of(
                input("e-main", "f0", "[[mock:insufficient_quota]] fallback zero", 3, null),
                input("e-main", "f1", "fallback one", 3, null));

        Map<String, Completion> byId = completionsById(run(config, requests));

        assertThat(byId.values()).allSatisfy(c -> {
            assertThat(c.model()).isEqualTo("e-spare");
            assertThat(c.fallbackFrom()).isEqualTo("e-main");
            assertThat(c.fallbackReason()).isEqualTo("quota_exceeded");
        });
        assertOwnVector(byId.get("f1"), "fallback one", MOCK_DIMS);
        assertThat(requestsTo("e-main")).isEqualTo(1);
        assertThat(requestsTo("e-spare")).isEqualTo(1);
    }
}
