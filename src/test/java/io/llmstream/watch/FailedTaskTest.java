package io.llmstream.watch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailedTaskTest {
    private static final String CALL_CHAIN = "pace per model -> call LLM API -> route results -> (completions sink: "
            + "Writer -> completions sink: Committer, metric event times) (2/2)#3";

    @Test
    void aFailingKafkaSinkIsNamedAfterItsSink() {
        assertThat(FailedTask.name(CALL_CHAIN, "x.Y: z\n\tat org.apache.flink.connector.kafka.sink.KafkaWriter.flush"))
                .isEqualTo("completions sink");
    }

    @Test
    void aTaskOfOneOperatorIsThatOperator() {
        assertThat(FailedTask.name("dead-letter sink: Writer -> dead-letter sink: Committer (1/1)#0", ""))
                .isEqualTo("dead-letter sink");
    }

    @Test
    void aFailingKafkaSourceIsNamedAfterItsSource() {
        assertThat(FailedTask.name("Source: prompts source -> parse prompts (1/2)#0",
                "\tat org.apache.flink.connector.kafka.source.reader.KafkaSourceReader.poll"))
                .isEqualTo("prompts source");
    }

    @Test
    void otherwiseTheWholeChainWithoutSubtask() {
        assertThat(FailedTask.name(CALL_CHAIN, "\tat io.llmstream.call.ChatCall.send"))
                .isEqualTo("pace per model -> call LLM API -> route results -> completions sink -> metric event times");
        assertThat(FailedTask.name("", "")).isEqualTo("a task");
    }
}
