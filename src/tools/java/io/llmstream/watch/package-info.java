/**
 * The running job watched from the client that started it ({@code run} and {@code demo}): one line per
 * failure with its root cause and a hint naming the configuration key, and a bounded run that keeps
 * failing without progress ended with exit code 1. It reads Flink's REST API, so it sees what Flink's
 * own web UI shows, whatever Flink's logging is set to.
 */
package io.llmstream.watch;
