package io.llmstream.call;

import io.llmstream.spend.SpendCoordinator;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.operators.coordination.OperatorCoordinator;
import org.apache.flink.runtime.operators.coordination.OperatorEventDispatcher;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.CoordinatedOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

import java.util.Map;

/**
 * The call stage of a job whose tenants have spend caps: the operator, connected to a {@link SpendCoordinator}
 * on the JobManager that holds the caps for the whole job. Jobs without spend caps use the plain factory and
 * have no coordinator.
 */
public final class CoordinatedCallStageOperatorFactory<IN, OUT> extends CallStageOperatorFactory<IN, OUT>
        implements CoordinatedOperatorFactory<OUT> {
    private static final long serialVersionUID = 1L;

    private final Map<String, Long> capNanos;

    /**
     * @param function a function that is a {@link CoordinatedFunction}
     * @param capNanos each capped tenant's spend per UTC day, in nano-dollars
     */
    public <F extends AsyncFunction<IN, OUT> & CoordinatedFunction> CoordinatedCallStageOperatorFactory(F function,
            int capacity, long timeoutMillis, long extraMillisPerInput, boolean ordered, MadeAtMillis<IN> madeAt,
            Overflow<IN> overflow, Map<String, Long> capNanos) {
        super(function, capacity, timeoutMillis, extraMillisPerInput, ordered, madeAt, overflow);
        this.capNanos = Map.copyOf(capNanos);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<OUT>> T createStreamOperator(StreamOperatorParameters<OUT> parameters) {
        CallStageOperator<IN, OUT> operator = super.createStreamOperator(parameters);
        OperatorID id = parameters.getStreamConfig().getOperatorID();
        OperatorEventDispatcher events = parameters.getOperatorEventDispatcher();
        operator.connectCoordinator(events.getOperatorEventGateway(id));
        events.registerEventHandler(id, operator);
        return (T) operator;
    }

    @Override
    public OperatorCoordinator.Provider getCoordinatorProvider(String operatorName, OperatorID operatorID) {
        return new SpendCoordinator.Provider(operatorID, capNanos);
    }
}
