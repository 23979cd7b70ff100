package io.llmstream.call.backlog;

import io.llmstream.TestConfigs;
import io.llmstream.call.CallStageOperatorFactory;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.limit.ShardKeys;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.InputRecord;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The call stage with a tenant backlog, through Flink's operator harness: which records it takes, which it leaves
 * in Kafka and when it reads them again — and that across a checkpoint and a restore each record is taken once.
 * A list of records stands in for the input partition.
 */
class TenantBacklogTest {
    private static final int CAPACITY = 4;
    private static final LlmStreamConfig CONFIG = TestConfigs.offline(
            "tenants: {team-a: {weight: 1}, team-b: {weight: 1}}");
    /** The input partition, offset = index. */
    private static final List<InputRecord> PARTITION = new ArrayList<>();
    /** The inputs the function holds, by id, in the order it was given them. */
    private static final Map<String, ResultFuture<String>> HELD = new LinkedHashMap<>();
    private static final List<String> INVOKED = new ArrayList<>();

    /** Holds every input until the test answers it; its result is the input's id. */
    static final class HeldFunction implements AsyncFunction<ParsedInput, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public void asyncInvoke(ParsedInput input, ResultFuture<String> result) {
            HELD.put(input.request().id(), result);
            INVOKED.add(input.request().id());
        }
    }

    /** How many records a read brings at most. */
    private static int readSize;
    /** How many reads there were. */
    private static int reads;

    /** Reads the list, {@link #readSize} records at a time. */
    static final class ListReader implements BacklogReader {
        @Override
        public CompletableFuture<Records> read(String topic, int partition, long from) {
            reads++;
            int end = (int) Math.min(PARTITION.size(), from + readSize);
            return CompletableFuture.completedFuture(new Records(from, new ArrayList<>(PARTITION.subList((int) from,
                    end))));
        }

        @Override
        public void close() {}
    }

    @BeforeEach
    void reset() {
        PARTITION.clear();
        HELD.clear();
        INVOKED.clear();
        readSize = 2;
        reads = 0;
    }

    @Test
    void aFullStageLeavesATenantBeyondItsPartInKafkaAndTakesOthersAtOnce() throws Exception {
        try (var harness = harness()) {
            harness.open();
            feed(harness, "a0", "a1", "a2", "a3", "a4", "a5");
            assertThat(INVOKED).as("a holds the whole stage; the rest of a waits in Kafka")
                    .containsExactly("a0", "a1", "a2", "a3");

            feed(harness, "b6", "b7", "b8", "a9");
            assertThat(INVOKED).as("b below its part (2 of 4) is taken though the stage is full; then b waits too")
                    .containsExactly("a0", "a1", "a2", "a3", "b6", "b7");

            answer(harness, "a0", "a1", "a2");
            assertThat(INVOKED).as("a has room again (1 of its 2): its records come back in order")
                    .endsWith("a4");
            answerAll(harness);
            assertThat(INVOKED).as("every record once, each tenant's in order")
                    .containsExactlyInAnyOrder("a0", "a1", "a2", "a3", "a4", "a5", "b6", "b7", "b8", "a9");
            assertThat(INVOKED.stream().filter(id -> id.startsWith("a")).toList())
                    .containsExactly("a0", "a1", "a2", "a3", "a4", "a5", "a9");
        }
    }

    @Test
    void keepsWhatAReadBroughtUntilThereIsRoomInsteadOfReadingItAgain() throws Exception {
        readSize = 100;
        try (var harness = harness()) {
            harness.open();
            String[] ids = new String[30];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = "a" + i;
            }
            feed(harness, ids);
            assertThat(INVOKED).hasSize(CAPACITY);

            answerAll(harness); // one at a time: each answer makes room for one record
            assertThat(INVOKED).as("every record once, in order").containsExactly(ids);
            assertThat(reads).as("one read brought the 26 records left; the stage took them back from memory")
                    .isEqualTo(1);
        }
    }

    @Test
    void acrossARestoreEachRecordIsTakenOnce() throws Exception {
        OperatorSubtaskState snapshot;
        List<String> answered = new ArrayList<>();
        try (var harness = harness()) {
            harness.open();
            feed(harness, "a0", "a1", "a2", "a3", "a4", "a5", "a6", "b7", "a8");
            answered.addAll(answer(harness, "a0", "a1"));
            snapshot = harness.snapshot(1, 1);
            answerAll(harness); // answered after the checkpoint: lost with the failure, asked again
        }
        INVOKED.clear();
        HELD.clear();
        try (var restored = harness()) {
            restored.initializeState(snapshot);
            restored.open();
            drain(restored);
            answerAll(restored);
            List<String> all = new ArrayList<>(answered);
            all.addAll(INVOKED);
            assertThat(all).as("answered before the checkpoint, or taken after the restore; none twice")
                    .containsExactlyInAnyOrder("a0", "a1", "a2", "a3", "a4", "a5", "a6", "b7", "a8");
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String> harness() throws Exception {
        TenantBacklog backlog = new TenantBacklog(CONFIG, ShardKeys.of(CONFIG), clientId -> new ListReader());
        var harness = new KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String>(
                new CallStageOperatorFactory<>(new HeldFunction(), CAPACITY, 60_000, 0, false,
                        ParsedInput::madeAtMillis, backlog), ShardKeys.of(CONFIG), Types.STRING, 128, 1, 0);
        harness.getStreamConfig().setupNetworkInputs(
                TypeInformation.of(ParsedInput.class).createSerializer(new SerializerConfigImpl()));
        harness.getStreamConfig().serializeAllConfigs();
        return harness;
    }

    /** Appends the records to the partition and feeds them to the stage; "a3" is team-a's, "b7" team-b's. */
    private static void feed(KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String> harness,
            String... ids) throws Exception {
        PromptParser parser = new PromptParser(CONFIG);
        for (String id : ids) {
            String tenant = id.startsWith("a") ? "team-a" : "team-b";
            byte[] value = ("{\"id\": \"" + id + "\", \"tenant\": \"" + tenant + "\", \"prompt\": \"p " + id + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            InputRecord record = new InputRecord("prompts", 0, PARTITION.size(), 0, value);
            PARTITION.add(record);
            harness.processElement(new StreamRecord<>(parser.parse(record, System.currentTimeMillis())));
            drain(harness);
        }
    }

    private static List<String> answer(KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String> harness,
            String... ids) throws Exception {
        for (String id : ids) {
            HELD.remove(id).complete(List.of(id));
            drain(harness);
        }
        return List.of(ids);
    }

    private static void answerAll(KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String> harness)
            throws Exception {
        while (!HELD.isEmpty()) {
            answer(harness, HELD.keySet().iterator().next());
        }
    }

    /** Runs the mails the operator posted: results, and records read again. */
    private static void drain(KeyedOneInputStreamOperatorTestHarness<String, ParsedInput, String> harness)
            throws Exception {
        Optional<Mail> mail;
        while ((mail = harness.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
            mail.get().run();
        }
    }
}
