package io.llmstream.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.TestConfigs;
import io.llmstream.config.BatchLaneSettings;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.SourcePosition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelLaneTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MINUTE = 60_000;

    private static BatchLaneSettings settings(int maxLines, long enqueuedTokens) {
        return new BatchLaneSettings(maxLines, Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofHours(24),
                enqueuedTokens, false);
    }

    private static LlmRequest request(int i) {
        return new LlmRequest("r-" + i, "m", 0, "{\"messages\":[{\"role\":\"user\",\"content\":\"p" + i + "\"}]}",
                null, 10, 20, "{}", 2, 0, new SourcePosition("prompts", 0, i));
    }

    private static ModelLane laneWith(int records, int maxLines, long enqueuedTokens) {
        ModelLane lane = new ModelLane(settings(maxLines, enqueuedTokens), 3);
        for (int i = 0; i < records; i++) {
            assertThat(lane.add(request(i), 30, 0)).isTrue();
        }
        return lane;
    }

    private static LineResult ok(LaneLine line) {
        return LineResult.parse("{\"custom_id\":\"" + line.customId() + "\",\"response\":{\"status_code\":200,"
                + "\"body\":{\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"content\":\"a\"}}]}},"
                + "\"error\":null}");
    }

    private static LineResult status(LaneLine line, int status, String code) {
        return LineResult.parse("{\"custom_id\":\"" + line.customId() + "\",\"response\":{\"status_code\":" + status
                + ",\"body\":{\"error\":{\"message\":\"no\",\"type\":\"" + code + "\"}}},\"error\":null}");
    }

    private static LineResult expired(LaneLine line) {
        return LineResult.parse("{\"custom_id\":\"" + line.customId() + "\",\"response\":null,"
                + "\"error\":{\"code\":\"batch_expired\",\"message\":\"This request could not be executed before the "
                + "completion window expired.\"}}");
    }

    private static ModelLane.Submission submit(ModelLane lane, long now, String batchId) {
        ModelLane.Submission submission = lane.nextSubmission(now, new ArrayList<>());
        assertThat(submission).as("a batch due at %d", now).isNotNull();
        lane.submitted(submission, "file-" + batchId, batchId, now);
        return submission;
    }

    @Test
    void aBatchIsDueWhenMaxLinesWaitOrTheOldestWaitedMaxWait() {
        ModelLane lane = laneWith(5, 5, 0);
        ModelLane.Submission full = lane.nextSubmission(0, new ArrayList<>());
        assertThat(full.lines()).hasSize(5);
        assertThat(full.lines().get(0).customId()).isEqualTo(BatchLine.customId(request(0)));

        ModelLane few = laneWith(3, 5, 0);
        assertThat(few.nextSubmission(10 * MINUTE - 1, new ArrayList<>())).as("3 of 5, 1 ms early").isNull();
        assertThat(few.nextSubmission(10 * MINUTE, new ArrayList<>()).lines()).hasSize(3);
    }

    @Test
    void oneSubmissionAtATimeAndALongQueueGoesInFilesOfMaxLines() {
        ModelLane lane = laneWith(12, 5, 0);
        ModelLane.Submission first = lane.nextSubmission(0, new ArrayList<>());
        assertThat(lane.nextSubmission(0, new ArrayList<>())).as("while the first uploads").isNull();
        lane.submitted(first, "file-1", "batch-1", 0);
        assertThat(lane.nextSubmission(0, new ArrayList<>()).lines()).hasSize(5);
        assertThat(lane.waitingLines()).isEqualTo(2);
    }

    @Test
    void aRecordReadAgainAfterARestoreIsNotTakenTwice() {
        ModelLane lane = laneWith(2, 2, 0);
        submit(lane, 0, "batch-1");
        assertThat(lane.add(request(0), 30, 5)).as("in an open batch").isFalse();
        lane.add(request(7), 30, 5);
        assertThat(lane.add(request(7), 30, 6)).as("waiting").isFalse();
        assertThat(lane.waitingLines()).isEqualTo(1);
    }

    @Test
    void answersInAnyOrderAreMatchedByCustomId() {
        ModelLane lane = laneWith(4, 4, 0);
        ModelLane.Submission batch = submit(lane, 0, "batch-1");
        List<LineResult> results = new ArrayList<>();
        batch.lines().forEach(line -> results.add(ok(line)));
        Collections.reverse(results);

        List<LaneOutcome> outcomes = lane.ended("batch-1", "completed", results, MINUTE);

        assertThat(outcomes).hasSize(4).allMatch(LaneOutcome::isAnswered);
        assertThat(outcomes).extracting(outcome -> outcome.line().request().id())
                .containsExactlyInAnyOrder("r-0", "r-1", "r-2", "r-3");
        assertThat(outcomes).allSatisfy(outcome ->
                assertThat(outcome.result().customId()).isEqualTo(outcome.line().customId()));
        assertThat(lane.openBatches()).isZero();
        assertThat(lane.waitingLines()).isZero();
    }

    @Test
    void aLineAnswered400IsADeadLetterAtOnceAnd500IsAskedAgainUntilTheAttemptsRunOut() {
        ModelLane lane = laneWith(2, 2, 0);
        ModelLane.Submission batch = submit(lane, 0, "batch-1");
        LaneLine refused = batch.lines().get(0);
        LaneLine failing = batch.lines().get(1);

        List<LaneOutcome> first = lane.ended("batch-1", "completed",
                List.of(status(refused, 400, "invalid_request_error"), status(failing, 500, "server_error")), MINUTE);

        assertThat(first).singleElement().satisfies(outcome -> {
            assertThat(outcome.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
            assertThat(outcome.line().customId()).isEqualTo(refused.customId());
            assertThat(outcome.reason()).contains("400").contains("invalid_request_error");
        });
        assertThat(lane.waitingLines()).isEqualTo(1);
        for (int attempt = 2; attempt <= 3; attempt++) {
            String id = "batch-" + attempt;
            ModelLane.Submission again = submit(lane, attempt * 11 * MINUTE, id);
            assertThat(again.lines().get(0).attempts()).isEqualTo(attempt - 1);
            List<LaneOutcome> outcomes = lane.ended(id, "completed", List.of(status(again.lines().get(0), 500,
                    "server_error")), attempt * 11 * MINUTE + 1);
            if (attempt < 3) {
                assertThat(outcomes).isEmpty();
            } else {
                assertThat(outcomes).singleElement().satisfies(outcome -> {
                    assertThat(outcome.kind()).isEqualTo(ErrorKind.SERVER_ERROR);
                    assertThat(outcome.reason()).contains("500").contains("3 batches");
                });
            }
        }
        assertThat(lane.waitingLines()).isZero();
    }

    @Test
    void anExpiredBatchsUnfinishedLinesAreAskedAgainAndItsAnswersKept() {
        ModelLane lane = laneWith(4, 4, 0);
        ModelLane.Submission batch = submit(lane, 0, "batch-1");
        List<LineResult> results = List.of(ok(batch.lines().get(0)), ok(batch.lines().get(2)),
                expired(batch.lines().get(1)));

        List<LaneOutcome> outcomes = lane.ended("batch-1", "expired", results, 24 * 60 * MINUTE);

        assertThat(outcomes).hasSize(2).allMatch(LaneOutcome::isAnswered);
        assertThat(lane.waitingLines()).as("one expired, one in neither file").isEqualTo(2);
        ModelLane.Submission again = lane.nextSubmission(24 * 60 * MINUTE, new ArrayList<>());
        assertThat(again.lines()).extracting(LaneLine::customId)
                .containsExactly(batch.lines().get(1).customId(), batch.lines().get(3).customId());
        assertThat(again.lines()).allSatisfy(line -> {
            assertThat(line.attempts()).isEqualTo(1);
            assertThat(line.lastReason()).contains("expired");
        });
    }

    @Test
    void aBatchCancelledBySomeoneElseHasItsUnansweredLinesAskedAgain() {
        ModelLane lane = laneWith(3, 3, 0);
        ModelLane.Submission batch = submit(lane, 0, "batch-1");

        List<LaneOutcome> outcomes = lane.ended("batch-1", "cancelled", List.of(ok(batch.lines().get(1))), MINUTE);

        assertThat(outcomes).singleElement().matches(LaneOutcome::isAnswered);
        assertThat(lane.waitingLines()).isEqualTo(2);
    }

    @Test
    void aFailedValidationDeadLettersTheLinesItNamesAndSubmitsTheOthersAgain() {
        ModelLane lane = laneWith(3, 3, 0);
        ModelLane.Submission batch = submit(lane, 0, "batch-1");

        List<LaneOutcome> outcomes = lane.failed("batch-1", List.of(new BatchError("invalid_request",
                "body.messages is required", 2)), MINUTE);

        assertThat(outcomes).singleElement().satisfies(outcome -> {
            assertThat(outcome.line().customId()).isEqualTo(batch.lines().get(1).customId());
            assertThat(outcome.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
            assertThat(outcome.reason()).contains("invalid_request at line 2: body.messages is required");
        });
        ModelLane.Submission again = lane.nextSubmission(MINUTE, new ArrayList<>());
        assertThat(again).as("the others waited their max-wait already").isNotNull();
        assertThat(again.lines()).allSatisfy(line -> assertThat(line.attempts()).isZero()).hasSize(2);
    }

    @Test
    void aFailedValidationThatNamesNoLineHalvesTheNextBatches() {
        ModelLane lane = laneWith(8, 8, 0);
        submit(lane, 0, "batch-1");

        assertThat(lane.failed("batch-1", List.of(new BatchError("invalid_file", "bad file", 0)), MINUTE)).isEmpty();

        ModelLane.Submission half = lane.nextSubmission(MINUTE, new ArrayList<>());
        assertThat(half.lines()).hasSize(4).allSatisfy(line -> assertThat(line.attempts()).isEqualTo(1));
    }

    @Test
    void aTokenLimitExceededBatchWaitsUntilOneOfTheLanesBatchesEnds() {
        ModelLane lane = laneWith(6, 2, 0);
        ModelLane.Submission first = submit(lane, 0, "batch-1");
        submit(lane, 0, "batch-2");
        submit(lane, 0, "batch-3");

        assertThat(lane.failed("batch-3", List.of(new BatchError(BatchError.TOKEN_LIMIT_EXCEEDED,
                "Enqueued token limit reached", 0)), MINUTE)).isEmpty();

        assertThat(lane.waitingLines()).isEqualTo(2);
        assertThat(lane.nextSubmission(2 * MINUTE, new ArrayList<>())).as("two batches still open").isNull();
        lane.ended("batch-1", "completed", first.lines().stream().map(ModelLaneTest::ok).toList(), 3 * MINUTE);
        ModelLane.Submission again = lane.nextSubmission(3 * MINUTE, new ArrayList<>());
        assertThat(again.lines()).hasSize(2).allSatisfy(line -> assertThat(line.attempts()).isZero());
    }

    @Test
    void aTokenLimitExceededWithNothingOpenWaitsLongerEachTime() {
        ModelLane lane = laneWith(2, 2, 0);
        List<BatchError> full = List.of(new BatchError(BatchError.TOKEN_LIMIT_EXCEEDED, "full", 0));
        submit(lane, 0, "batch-0");
        long now = 0;
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lane.failed("batch-" + i, full, now);
            long retry = now;
            ModelLane.Submission again;
            while ((again = lane.nextSubmission(retry, new ArrayList<>())) == null) {
                retry += 1_000;
            }
            waits.add(retry - now);
            now = retry;
            lane.submitted(again, "file", "batch-" + (i + 1), now);
        }

        assertThat(waits).containsExactly(MINUTE, 2 * MINUTE, 4 * MINUTE);
        lane.ended("batch-3", "completed", List.of(), now);
        assertThat(lane.waitingLines()).as("unanswered: asked again, one attempt spent").isEqualTo(2);
    }

    @Test
    void theEnqueuedTokenLimitSplitsTheQueueAcrossBatchesAndALineTooLargeForItIsADeadLetter() {
        ModelLane lane = new ModelLane(settings(100, 100), 3);
        for (int i = 0; i < 5; i++) {
            lane.add(request(i), 30, 0);
        }
        lane.add(request(9), 101, 0);
        List<LaneOutcome> dead = new ArrayList<>();

        ModelLane.Submission first = lane.nextSubmission(10 * MINUTE, dead);
        lane.submitted(first, "file-1", "batch-1", 10 * MINUTE);

        assertThat(first.lines()).hasSize(3);
        assertThat(lane.enqueuedTokens()).isEqualTo(90);
        assertThat(lane.nextSubmission(10 * MINUTE, dead)).as("90 of 100 enqueued").isNull();
        lane.ended("batch-1", "completed", first.lines().stream().map(ModelLaneTest::ok).toList(), 11 * MINUTE);
        ModelLane.Submission second = lane.nextSubmission(11 * MINUTE, dead);
        assertThat(second.lines()).hasSize(2);
        assertThat(dead).singleElement().satisfies(outcome -> {
            assertThat(outcome.line().request().id()).isEqualTo("r-9");
            assertThat(outcome.reason()).contains("101 tokens").contains("enqueued-tokens (100)");
        });
    }

    @Test
    void aFailedSubmissionGivesItsLinesBackFirstAndWaitsForTheRetryTime() {
        ModelLane lane = laneWith(3, 2, 0);
        ModelLane.Submission submission = lane.nextSubmission(0, new ArrayList<>());

        lane.submissionFailed(submission, 30_000);

        assertThat(lane.nextSubmission(29_999, new ArrayList<>())).isNull();
        ModelLane.Submission again = lane.nextSubmission(30_000, new ArrayList<>());
        assertThat(again.sequence()).as("a new number: the failed one may exist at the provider").isEqualTo(1);
        assertThat(again.lines()).extracting(LaneLine::customId).containsExactlyElementsOf(
                submission.lines().stream().map(LaneLine::customId).toList());
        assertThatThrownBy(() -> lane.submissionFailed(submission, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void resultLinesOfOpenAisShapes() throws Exception {
        LineResult answered = LineResult.parse("{\"id\":\"batch_req_1\",\"custom_id\":\"ls-1\",\"response\":{"
                + "\"status_code\":200,\"request_id\":\"r\",\"body\":{\"id\":\"chatcmpl-1\",\"object\":"
                + "\"chat.completion\"}},\"error\":null}");
        assertThat(answered.answered()).isTrue();
        assertThat(answered.body().path("id").asText()).isEqualTo("chatcmpl-1");
        LineResult expired = LineResult.parse("{\"id\":\"batch_req_2\",\"custom_id\":\"ls-2\",\"response\":null,"
                + "\"error\":{\"code\":\"batch_expired\",\"message\":\"expired\"}}");
        assertThat(expired.answered()).isFalse();
        assertThat(expired.status()).isZero();
        assertThat(expired.errorCode()).isEqualTo("batch_expired");
        assertThat(LineResult.parse("  ")).isNull();
        assertThatThrownBy(() -> LineResult.parse("{\"response\":{}}")).hasMessageContaining("custom_id");
    }

    @Test
    void aLineIsTheOnlineRequestsBodyUnderADeterministicCustomId() throws Exception {
        var model = TestConfigs.offline("models: {m1: {name: gpt-4o-mini}}").model("m1");
        var line = JSON.readTree(BatchLine.of(request(1), model));

        assertThat(line.path("custom_id").asText()).isEqualTo(BatchLine.customId(request(1)))
                .startsWith(BatchLine.CUSTOM_ID_PREFIX).hasSize(BatchLine.CUSTOM_ID_PREFIX.length() + 32);
        assertThat(line.path("method").asText()).isEqualTo("POST");
        assertThat(line.path("url").asText()).isEqualTo("/v1/chat/completions");
        assertThat(line.path("body").toString())
                .isEqualTo("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"p1\"}]}");
        assertThat(BatchLine.customId(request(1))).as("the same record read again")
                .isEqualTo(BatchLine.customId(request(1)));
        LlmRequest sameIdElsewhere = new LlmRequest("r-1", "m", 0, "{}", null, 1, 1, "{}", 2, 0,
                new SourcePosition("prompts", 1, 1));
        assertThat(BatchLine.customId(sameIdElsewhere)).isNotEqualTo(BatchLine.customId(request(1)));
    }

    @Test
    void aBatchSentAfterTheCheckpointIsAdoptedWithTheWaitingLinesAndThoseReadAgain() {
        ModelLane lane = laneWith(2, 10, 0);
        List<String> inOrphan = List.of(BatchLine.customId(request(0)), BatchLine.customId(request(1)),
                BatchLine.customId(request(2)));
        lane.adoptOrphan(4, "file-o", "batch-o", inOrphan, 0);

        assertThat(lane.waitingLines()).as("the waiting lines joined the orphan").isZero();
        assertThat(lane.awaitsLines("batch-o")).as("r-2 is still to be read again").isTrue();
        assertThat(lane.add(request(2), 30, 1)).isTrue();
        assertThat(lane.awaitsLines("batch-o")).isFalse();
        assertThat(lane.waitingLines()).as("r-2 joined the orphan too").isZero();
        assertThat(lane.nextSequence()).as("no batch takes the orphan's sequence again").isEqualTo(5);
        assertThat(lane.add(request(3), 30, 2)).isTrue();
        assertThat(lane.nextSubmission(11 * MINUTE, new ArrayList<>()).lines()).as("only r-3 goes in a new batch")
                .extracting(LaneLine::customId).containsExactly(BatchLine.customId(request(3)));

        List<LaneOutcome> outcomes = lane.ended("batch-o", "completed",
                lane.open().get(0).lines().stream().map(ModelLaneTest::ok).toList(), 12 * MINUTE);
        assertThat(outcomes).extracting(outcome -> outcome.line().request().id())
                .containsExactlyInAnyOrder("r-0", "r-1", "r-2");
        assertThat(outcomes).allMatch(LaneOutcome::isAnswered);
    }
}
