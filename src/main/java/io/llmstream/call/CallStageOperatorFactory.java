package io.llmstream.call;

import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

/** Builds a {@link CallStageOperator} in its task, with the task's mailbox and processing-time service. */
public class CallStageOperatorFactory<IN, OUT> extends AbstractStreamOperatorFactory<OUT>
        implements OneInputStreamOperatorFactory<IN, OUT> {
    private static final long serialVersionUID = 1L;

    private final AsyncFunction<IN, OUT> function;
    private final int capacity;
    private final long timeoutMillis;
    private final long extraMillisPerInput;
    private final boolean ordered;
    private final MadeAtMillis<IN> madeAt;
    private final Overflow<IN> overflow;

    /** See {@link CallStageOperator} for the parameters; no overflow. */
    public CallStageOperatorFactory(AsyncFunction<IN, OUT> function, int capacity, long timeoutMillis,
            long extraMillisPerInput, boolean ordered, MadeAtMillis<IN> madeAt) {
        this(function, capacity, timeoutMillis, extraMillisPerInput, ordered, madeAt, Overflow.none());
    }

    /** See {@link CallStageOperator} for the parameters. */
    public CallStageOperatorFactory(AsyncFunction<IN, OUT> function, int capacity, long timeoutMillis,
            long extraMillisPerInput, boolean ordered, MadeAtMillis<IN> madeAt, Overflow<IN> overflow) {
        this.function = function;
        this.capacity = capacity;
        this.timeoutMillis = timeoutMillis;
        this.extraMillisPerInput = extraMillisPerInput;
        this.ordered = ordered;
        this.madeAt = madeAt;
        this.overflow = overflow;
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<OUT>> T createStreamOperator(StreamOperatorParameters<OUT> parameters) {
        return (T) new CallStageOperator<>(parameters, function, capacity, timeoutMillis, extraMillisPerInput,
                ordered, madeAt, overflow);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return CallStageOperator.class;
    }
}
