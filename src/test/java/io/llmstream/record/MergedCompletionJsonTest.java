package io.llmstream.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The completion of a merged prompt: how many shared its request, and its usage marked as a share. */
class MergedCompletionJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aMergedAnswerSaysHowManySharedItsRequestAndThatItsUsageIsAShare() throws Exception {
        Completion completion = new Completion("r-1", "m1", "Echo", "stop", null, 21, 14, 35, 1, 300, 40, 90, null,
                null, "{\"k\": 1}", false, 16);

        JsonNode json = JSON.readTree(RecordJson.completion(completion));

        assertThat(json.path("merged").asInt()).isEqualTo(16);
        assertThat(json.path("usage").fieldNames()).toIterable()
                .containsExactly("prompt_tokens", "completion_tokens", "total_tokens", "shared");
        assertThat(json.path("usage").path("shared").asBoolean()).isTrue();
        assertThat(json.path("metadata").path("k").asInt()).isEqualTo(1);
    }

    @Test
    void anAnswerAskedAloneHasNeither() throws Exception {
        Completion completion = new Completion("r-2", "m1", "Echo", "stop", null, 21, 14, 35, 1, 300, 40, 90, null,
                null, null);

        JsonNode json = JSON.readTree(RecordJson.completion(completion));

        assertThat(completion.merged()).isZero();
        assertThat(json.has("merged")).isFalse();
        assertThat(json.path("usage").has("shared")).isFalse();
    }
}
