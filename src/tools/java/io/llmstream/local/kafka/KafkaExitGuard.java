package io.llmstream.local.kafka;

import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Kafka's server code from ending the JVM it is embedded in. On a fatal fault (a failed log
 * directory, a controller error, a fatal error in a request handler thread) the broker calls
 * {@link Exit#exit} or {@link Exit#halt}, which in a standalone broker is right but here would kill
 * the Flink job or the test run that hosts it. While any embedded broker runs, those calls log and
 * throw instead, ending only the Kafka thread that made them.
 *
 * <p>{@link Exit}'s procedures are JVM-wide, so the guard counts its holders and restores Kafka's
 * defaults when the last broker closes.
 */
final class KafkaExitGuard {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaExitGuard.class);

    private static int holders;

    private KafkaExitGuard() {}

    static synchronized void acquire() {
        if (holders++ == 0) {
            Exit.setExitProcedure(KafkaExitGuard::refuseExit);
            Exit.setHaltProcedure(KafkaExitGuard::refuseHalt);
        }
    }

    static synchronized void release() {
        if (holders > 0 && --holders == 0) {
            Exit.resetExitProcedure();
            Exit.resetHaltProcedure();
        }
    }

    private static void refuseExit(int statusCode, String message) {
        refuse("exit", statusCode, message);
    }

    private static void refuseHalt(int statusCode, String message) {
        refuse("halt", statusCode, message);
    }

    private static void refuse(String how, int statusCode, String message) {
        String text = "embedded Kafka broker asked to " + how + " the JVM with status " + statusCode
                + (message == null ? "" : " (" + message + ")")
                + "; refused, the broker is probably broken now: close it and start a new one";
        LOG.error(text);
        throw new IllegalStateException(text);
    }
}
