package io.llmstream.call;

/**
 * A call-stage function whose inputs may rightly wait longer than the operator's timeout (a tenant's spend cap
 * waiting for the next UTC day): the operator asks before it times an input out.
 */
public interface PatientFunction<IN> {
    /** Until when the input rightly waits; any time in the past when it does not. */
    long waitsUntilMillis(IN input);
}
