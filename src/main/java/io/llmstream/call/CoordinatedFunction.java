package io.llmstream.call;

import org.apache.flink.runtime.operators.coordination.OperatorEvent;

import java.util.function.Consumer;

/**
 * A call-stage function that talks to the operator's coordinator on the JobManager (the tenants' spend caps):
 * the operator connects it before {@code open} and hands it the coordinator's events on the task's thread.
 */
public interface CoordinatedFunction {
    /** Where the function's events go; the sender may be called from any thread. */
    void connect(Consumer<OperatorEvent> toCoordinator);

    /** An event from the coordinator, on the task's thread. */
    void handle(OperatorEvent event);
}
