package io.llmstream.parse;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.InputRecord;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * The parse stage as an operator, for inputs that are already a stream of {@link InputRecord}s (tests). The
 * job reads Kafka through {@link io.llmstream.kafka.InputDeserializer}, which parses in the source itself:
 * an operator between the source and the call stage's shuffle would be a forward exchange, where a checkpoint
 * barrier waits behind every record that waits for budget once chaining is off.
 */
public final class ParseFunction extends RichMapFunction<InputRecord, ParsedInput> {
    private static final long serialVersionUID = 1L;

    private final LlmStreamConfig config;
    private transient PromptParser parser;

    public ParseFunction(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new PromptParser(config);
    }

    @Override
    public ParsedInput map(InputRecord record) {
        return parser.parse(record, System.currentTimeMillis());
    }
}
