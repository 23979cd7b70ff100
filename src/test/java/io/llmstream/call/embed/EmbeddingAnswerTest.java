package io.llmstream.call.embed;

import io.llmstream.call.UsageShares;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading an embeddings answer by index, and splitting its usage. */
class EmbeddingAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddingVectors read(String data, String[] problem) throws Exception {
        return EmbeddingVectors.read(JSON.readTree(data), problem);
    }

    @Test
    void mapsVectorsByTheirIndexNotTheirPlace() throws Exception {
        EmbeddingVectors vectors = read("[{\"index\": 1, \"embedding\": [0.5, -0.25]},"
                + " {\"index\": 0, \"embedding\": [0.125]}, {\"index\": 2, \"embedding\": \"AAAAPw==\"}]", new String[1]);

        assertThat(vectors.vector(0)).isEqualTo("[0.125]");
        assertThat(vectors.vector(1)).isEqualTo("[0.5,-0.25]");
        assertThat(vectors.vector(2)).isEqualTo("\"AAAAPw==\"");
        assertThat(vectors.size()).isEqualTo(3);
    }

    @Test
    void aMissingOrRepeatedIndexHasNoVector() throws Exception {
        EmbeddingVectors vectors = read("[{\"index\": 0, \"embedding\": [1]}, {\"index\": 0, \"embedding\": [2]},"
                + " {\"index\": 3, \"embedding\": [4]}]", new String[1]);

        assertThat(vectors.vector(0)).as("repeated: neither is trusted").isNull();
        assertThat(vectors.vector(1)).as("missing").isNull();
        assertThat(vectors.vector(3)).isEqualTo("[4]");
        assertThat(vectors.size()).isEqualTo(1);
    }

    @Test
    void anAnswerWithoutDataOrIndexIsMalformed() throws Exception {
        String[] problem = new String[1];
        assertThat(read("{\"object\": \"list\"}", problem)).isNull();
        assertThat(problem[0]).isEqualTo("the body has no data array");
        assertThat(read("[{\"embedding\": [1]}]", problem)).isNull();
        assertThat(problem[0]).isEqualTo("data[0] has no index");
        assertThat(read("[{\"index\": 0}]", problem)).isNull();
        assertThat(problem[0]).isEqualTo("data[0] has no embedding");
    }

    @Test
    void splitsUsageInProportionToTheEstimatesAddingUpToTheTotal() {
        assertThat(UsageShares.split(100, new int[] {10, 30, 60})).containsExactly(10, 30, 60);
        assertThat(UsageShares.split(10, new int[] {1, 1, 1})).containsExactly(4, 3, 3);
        assertThat(UsageShares.split(7, new int[] {5, 0})).containsExactly(7, 0);
        assertThat(UsageShares.split(5, new int[] {0, 0})).containsExactly(3, 2);
        int[] shares = UsageShares.split(1001, new int[] {3, 7, 11, 13, 17});
        assertThat(java.util.Arrays.stream(shares).sum()).isEqualTo(1001);
        assertThat(UsageShares.split(-1, new int[] {4, 9})).as("no usage reported: the estimates").containsExactly(4, 9);
    }
}
