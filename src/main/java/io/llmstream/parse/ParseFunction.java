package io.llmstream.parse;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.InputRecord;
import io.llmstream.record.LlmRequest;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** The parse stage: valid prompts go on, invalid ones to the {@link #INVALID} side output. */
public final class ParseFunction extends ProcessFunction<InputRecord, LlmRequest> {
    private static final long serialVersionUID = 1L;

    /** Dead letters of kind invalid_input. */
    public static final OutputTag<DeadLetter> INVALID = new OutputTag<>("invalid-input") {};

    /** Job accumulator: inputs that were not valid prompts. */
    public static final String INVALID_COUNTER = "llmstream-invalid-inputs";

    private final LlmStreamConfig config;
    private transient PromptParser parser;
    private transient LongCounter invalidInputs;

    public ParseFunction(LlmStreamConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new PromptParser(config);
        invalidInputs = getRuntimeContext().getLongCounter(INVALID_COUNTER);
    }

    @Override
    public void processElement(InputRecord record, Context ctx, Collector<LlmRequest> out) {
        PromptParser.Parsed parsed = parser.parse(record, ctx.timerService().currentProcessingTime());
        if (parsed.request() != null) {
            out.collect(parsed.request());
        } else {
            ctx.output(INVALID, parsed.deadLetter());
            invalidInputs.add(1);
        }
    }
}
