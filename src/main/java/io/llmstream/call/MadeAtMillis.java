package io.llmstream.call;

import java.io.Serializable;

/**
 * When an input was made, in wall-clock milliseconds, by the stage that made it. After a restore the call
 * stage compares it with the time of the checkpoint it restored: an input made before that checkpoint was in
 * flight when it was taken, so Flink stored it with the checkpoint and delivers it again; an input made after
 * it was read again from the source.
 */
@FunctionalInterface
public interface MadeAtMillis<IN> extends Serializable {

    long of(IN input);
}
