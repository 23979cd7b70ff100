package io.llmstream.parse;

import io.llmstream.TestConfigs;
import io.llmstream.config.ConfigException;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.Lane;
import io.llmstream.record.ParsedInput;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A record's lane: its own {@code lane}, the template's, or the model's default; refused where none exists. */
class LaneParsingTest {
    private static final String MODELS = "models: {m1: {endpoint: mock, batch-lane: {max-wait: 1m}},"
            + " m2: {endpoint: mock}, m3: {endpoint: mock, batch-lane: {default: true}}}";

    private static ParsedInput parse(PromptParser parser, String value) {
        return parser.parse(new InputRecord("prompts", 0, 7, 0, value.getBytes(StandardCharsets.UTF_8)), 1);
    }

    @Test
    void aRecordNamesItsLaneAndARecordThatNamesNoneTakesItsModels() {
        PromptParser parser = new PromptParser(TestConfigs.withEndpoint("http://127.0.0.1:9/v1", MODELS));

        assertThat(parse(parser, "{\"prompt\": \"p\", \"model\": \"m1\", \"lane\": \"batch\"}").request().lane())
                .isEqualTo(Lane.BATCH);
        assertThat(parse(parser, "{\"prompt\": \"p\", \"model\": \"m1\"}").request().lane()).isEqualTo(Lane.ONLINE);
        assertThat(parse(parser, "{\"prompt\": \"p\", \"model\": \"m3\"}").request().lane()).isEqualTo(Lane.BATCH);
        assertThat(parse(parser, "{\"prompt\": \"p\", \"model\": \"m3\", \"lane\": \"online\"}").request().lane())
                .isEqualTo(Lane.ONLINE);
        assertThat(parse(parser, "{\"prompt\": \"p\", \"model\": \"m1\", \"lane\": \"batch\"}").request().body())
                .as("lane is the record's own field, not a parameter").doesNotContain("lane");
    }

    @Test
    void aLaneThatDoesNotExistIsADeadLetterThatSaysWhy() {
        PromptParser parser = new PromptParser(TestConfigs.withEndpoint("http://127.0.0.1:9/v1", MODELS));

        ParsedInput noLane = parse(parser, "{\"id\": \"a\", \"prompt\": \"p\", \"model\": \"m2\", \"lane\": \"batch\"}");
        assertThat(noLane.deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        assertThat(noLane.deadLetter().message()).contains("model m2 has no batch lane")
                .contains("models.m2.batch-lane");
        ParsedInput unknown = parse(parser, "{\"prompt\": \"p\", \"model\": \"m1\", \"lane\": \"later\"}");
        assertThat(unknown.deadLetter().message()).contains("lane must be \"online\" or \"batch\", was");
    }

    @Test
    void aTemplateTakesTheLaneFromTheRecord() {
        PromptParser parser = new PromptParser(TestConfigs.withEndpoint("http://127.0.0.1:9/v1", MODELS,
                "records: {template: {prompt: 'Tag {{text}}', model: m1, lane: '{{when}}'}}"));

        assertThat(parse(parser, "{\"text\": \"x\", \"when\": \"batch\"}").request().lane()).isEqualTo(Lane.BATCH);
        assertThat(parse(parser, "{\"text\": \"x\", \"when\": \"online\"}").request().lane()).isEqualTo(Lane.ONLINE);
    }

    @Test
    void aBatchLaneThatCannotWorkStopsTheStartNamingTheKeyAndTheValue() {
        assertThatThrownBy(() -> TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m1: {endpoint: mock, batch-lane: {window: 12h}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("models.m1.batch-lane.window").hasMessageContaining("12h");
        assertThatThrownBy(() -> TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m1: {endpoint: mock, batch-lane: {max-wait: 25h}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("models.m1.batch-lane.max-wait must be shorter than models.m1.batch-lane.window");
        assertThatThrownBy(() -> TestConfigs.withEndpoint("http://127.0.0.1:9/v1",
                "models: {m1: {endpoint: mock, batch-lane: {max-lines: 60000}}}"))
                .hasMessageContaining("models.m1.batch-lane.max-lines must be between 1 and 50000, was 60000");
    }
}
