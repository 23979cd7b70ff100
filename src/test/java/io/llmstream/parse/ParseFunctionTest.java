package io.llmstream.parse;

import io.llmstream.TestConfigs;
import io.llmstream.kafka.InputDeserializer;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.InputRecord;
import io.llmstream.record.ParsedInput;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ParseFunctionTest {

    @Test
    void turnsEveryRecordIntoARequestOrADeadLetterWithItsReason() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<InputRecord, ParsedInput>(
                new StreamMap<>(new ParseFunction(TestConfigs.offline())))) {
            harness.open();
            long before = System.currentTimeMillis();

            harness.processElement(new StreamRecord<>(input(0, "{\"id\": \"ok\", \"prompt\": \"hi\"}")));
            harness.processElement(new StreamRecord<>(input(1, "{oops")));
            harness.processElement(new StreamRecord<>(input(2, null)));

            List<ParsedInput> parsed = harness.extractOutputValues();
            assertThat(parsed).extracting(ParsedInput::isValid).containsExactly(true, false, false);
            assertThat(parsed.get(0).request().id()).isEqualTo("ok");
            assertThat(parsed.get(0).request().receivedAtMillis()).isBetween(before, System.currentTimeMillis());
            assertThat(parsed.subList(1, 3)).extracting(ParsedInput::deadLetter).extracting(DeadLetter::id)
                    .containsExactly("prompts-0-1", "prompts-0-2");
            assertThat(parsed.get(1).deadLetter().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
        }
    }

    @Test
    void theKafkaSourceParsesAsItReadsAndNeverThrowsForBadValues() throws Exception {
        InputDeserializer deserializer = new InputDeserializer(TestConfigs.offline());
        deserializer.open(null);
        List<ParsedInput> out = new ArrayList<>();
        Collector<ParsedInput> collector = new Collector<>() {
            @Override
            public void collect(ParsedInput record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };

        deserializer.deserialize(new ConsumerRecord<>("prompts", 3, 41, null,
                "{\"id\": \"a\", \"prompt\": \"hi\"}".getBytes(StandardCharsets.UTF_8)), collector);
        deserializer.deserialize(new ConsumerRecord<>("prompts", 3, 42, null, new byte[] {(byte) 0xff, 0x00}),
                collector);
        deserializer.deserialize(new ConsumerRecord<byte[], byte[]>("prompts", 3, 43, null, null), collector);

        assertThat(out).extracting(ParsedInput::isValid).containsExactly(true, false, false);
        assertThat(out.get(0).request().source().offset()).isEqualTo(41);
        assertThat(out.get(1).deadLetter().message()).contains("not valid UTF-8");
        assertThat(out.get(2).deadLetter().id()).isEqualTo("prompts-3-43");
    }

    private static InputRecord input(long offset, String value) {
        return new InputRecord("prompts", 0, offset, 0, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
