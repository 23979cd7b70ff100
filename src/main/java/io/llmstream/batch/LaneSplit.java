package io.llmstream.batch;

import io.llmstream.record.Lane;
import io.llmstream.record.ParsedInput;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends the records of the batch lane to {@link #BATCH_LANE} and everything else (online records and invalid
 * input) on to the call stage. The job has it only when a model has a batch lane.
 */
public final class LaneSplit extends ProcessFunction<ParsedInput, ParsedInput> {
    public static final OutputTag<ParsedInput> BATCH_LANE = new OutputTag<>("batch-lane") {};
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(ParsedInput input, Context context, Collector<ParsedInput> out) {
        if (input.isValid() && input.request().lane() == Lane.BATCH) {
            context.output(BATCH_LANE, input);
        } else {
            out.collect(input);
        }
    }

    /** The batch lane's records by model: a model's lane lives in one instance. */
    public static final class ByModel implements KeySelector<ParsedInput, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(ParsedInput input) {
            return input.request().model();
        }
    }
}
