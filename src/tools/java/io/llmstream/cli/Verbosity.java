package io.llmstream.cli;

import io.llmstream.job.Args;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * {@code --verbose}: the stack trace of every failure, and Flink's warnings, which the command line's
 * logging configuration otherwise filters to errors. A logging configuration of the user's own is left as
 * it is.
 */
final class Verbosity {
    static final String FLAG = "verbose";
    static final String USAGE = "  --verbose       print the stack trace of every failure and Flink's warnings";

    private Verbosity() {}

    static boolean apply(Args args) {
        boolean verbose = args.has(FLAG);
        if (verbose && Main.LOGGING.equals(System.getProperty(Main.LOGGING_PROPERTY))) {
            Configurator.setLevel("org.apache.flink", Level.WARN);
        }
        return verbose;
    }
}
