package io.llmstream.call.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class MergedAnswersTest {

    @Test
    void mapsEveryAnswerToItsIndexInAnyOrder() {
        MergedAnswers answers = MergedAnswers.parse(
                "{\"answers\": [{\"index\": 2, \"answer\": \"c\"}, {\"index\": 0, \"answer\": \"a\"}, "
                        + "{\"index\": 1, \"answer\": \"b\"}]}", 3);

        assertThat(answers.answer(0)).isEqualTo("a");
        assertThat(answers.answer(1)).isEqualTo("b");
        assertThat(answers.answer(2)).isEqualTo("c");
        assertThat(answers.answered()).isEqualTo(3);
        assertThat(answers.problem()).isNull();
    }

    @Test
    void aMissingIndexLeavesOnlyThatPromptUnanswered() {
        MergedAnswers answers = MergedAnswers.parse(
                "{\"answers\": [{\"index\": 0, \"answer\": \"a\"}, {\"index\": 2, \"answer\": \"c\"}]}", 3);

        assertThat(answers.answer(0)).isEqualTo("a");
        assertThat(answers.answer(1)).isNull();
        assertThat(answers.answer(2)).isEqualTo("c");
        assertThat(answers.problem()).isEqualTo("1 missing");
    }

    @Test
    void aRepeatedIndexAnswersThatPromptNeither() {
        MergedAnswers answers = MergedAnswers.parse("{\"answers\": [{\"index\": 0, \"answer\": \"a\"}, "
                + "{\"index\": 1, \"answer\": \"b\"}, {\"index\": 1, \"answer\": \"b2\"}]}", 2);

        assertThat(answers.answer(0)).isEqualTo("a");
        assertThat(answers.answer(1)).isNull();
        assertThat(answers.problem()).isEqualTo("1 answered more than once");
    }

    @Test
    void anUnknownIndexIsIgnoredAndTakesNoPromptsPlace() {
        MergedAnswers answers = MergedAnswers.parse("{\"answers\": [{\"index\": 0, \"answer\": \"a\"}, "
                + "{\"index\": 7, \"answer\": \"x\"}, {\"index\": -1, \"answer\": \"y\"}, "
                + "{\"index\": \"1\", \"answer\": \"z\"}, {\"answer\": \"w\"}]}", 2);

        assertThat(answers.answer(0)).isEqualTo("a");
        assertThat(answers.answer(1)).isNull();
        assertThat(answers.problem()).isEqualTo("1 missing, 4 under an unknown index");
    }

    @Test
    void anAnswerThatIsNoStringDoesNotCount() {
        MergedAnswers answers = MergedAnswers.parse("{\"answers\": [{\"index\": 0, \"answer\": 4}, "
                + "{\"index\": 1, \"answer\": \"b\"}]}", 2);

        assertThat(answers.answer(0)).isNull();
        assertThat(answers.answer(1)).isEqualTo("b");
        assertThat(answers.problem()).isEqualTo("1 not a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Sure! Here they are: a, b", "{\"answers\": [{\"index\": 0, \"answer\": \"a\"}",
        "[{\"index\": 0, \"answer\": \"a\"}]", "{\"answers\": {\"0\": \"a\"}}", "{\"results\": []}",
        "{\"answers\": []} trailing", ""})
    void aReplyThatIsNotTheAskedJsonAnswersNone(String content) {
        MergedAnswers answers = MergedAnswers.parse(content, 2);

        assertThat(answers.answer(0)).isNull();
        assertThat(answers.answer(1)).isNull();
        assertThat(answers.answered()).isZero();
        assertThat(answers.problem()).isNotNull();
    }

    @Test
    void aNullContentAnswersNone() {
        assertThat(MergedAnswers.parse(null, 1).answered()).isZero();
    }
}
