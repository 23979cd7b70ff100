package io.llmstream.watch;

import org.apache.flink.util.SerializedThrowable;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailureCauseTest {
    /** As Flink's REST API gives a sink that the broker refused, shortened. */
    private static final String REFUSED_SINK = String.join("\n",
            "org.apache.flink.util.FlinkRuntimeException: Failed to initialize the writer",
            "\tat org.apache.flink.streaming.runtime.tasks.StreamTask.restoreInternal(StreamTask.java:812)",
            "\tSuppressed: java.lang.NullPointerException: Cannot invoke \"isClosed()\"",
            "\t\tat org.apache.flink.connector.kafka.sink.ExactlyOnceKafkaWriter.close(ExactlyOnceKafkaWriter.java:99)",
            "\t\tCaused by: java.lang.IllegalStateException: a suppressed cause",
            "Caused by: org.apache.kafka.common.KafkaException: Unexpected error in InitProducerIdResponse; The "
                    + "transaction timeout is larger than the maximum value allowed by the broker (as configured by "
                    + "transaction.max.timeout.ms).",
            "\tat org.apache.kafka.clients.producer.internals.TransactionManager.handleResponse(TransactionManager.java:1)",
            "\t... 12 more");

    @Test
    void theLastCausedByIsTheRoot() {
        FailureCause cause = FailureCause.fromStackTrace(REFUSED_SINK);
        assertThat(cause.root().className()).isEqualTo("org.apache.kafka.common.KafkaException");
        assertThat(cause.toString()).isEqualTo("KafkaException: Unexpected error in InitProducerIdResponse; The "
                + "transaction timeout is larger than the maximum value allowed by the broker (as configured by "
                + "transaction.max.timeout.ms).");
        assertThat(cause.chain()).extracting(FailureCause.Link::simpleName)
                .as("causes of suppressed exceptions are not the failure's")
                .containsExactly("FlinkRuntimeException", "KafkaException");
    }

    @Test
    void aStackTraceWithoutCausesIsItsFirstLine() {
        FailureCause cause = FailureCause.fromStackTrace("java.lang.IllegalStateException: broken\n\tat a.b.C.d(C.java:1)");
        assertThat(cause.toString()).isEqualTo("IllegalStateException: broken");
        assertThat(FailureCause.fromStackTrace("java.lang.OutOfMemoryError").toString()).isEqualTo("OutOfMemoryError");
    }

    @Test
    void keepsTheFirstLineOfAMessageAndCutsALongOne() {
        FailureCause cause = FailureCause.fromStackTrace("x.Y: first line\nsecond line\n\tat a.b.C.d(C.java:1)\n"
                + "Caused by: x.Z: " + "a".repeat(1000));
        assertThat(cause.chain().get(0).message()).isEqualTo("first line");
        assertThat(cause.root().message()).hasSize(FailureCause.MAX_MESSAGE_CHARS).endsWith("...");
    }

    @Test
    void aThrownChainEndsInItsInnermostException() {
        Exception thrown = new RuntimeException("Job execution failed.",
                new IllegalStateException("Recovery is suppressed", new RecordTooLargeException("The message is 2000000 "
                        + "bytes when serialized which is larger than 1048576")));
        FailureCause cause = FailureCause.of(thrown);
        assertThat(cause.toString()).isEqualTo("RecordTooLargeException: The message is 2000000 bytes when serialized "
                + "which is larger than 1048576");
        assertThat(cause.has("IllegalStateException")).isTrue();
    }

    @Test
    void anExceptionShippedByFlinkKeepsItsClassName() {
        FailureCause cause = FailureCause.of(new SerializedThrowable(new RecordTooLargeException("too large")));
        assertThat(cause.root().className()).isEqualTo(RecordTooLargeException.class.getName());
        assertThat(cause.toString()).isEqualTo("RecordTooLargeException: too large");
    }
}
