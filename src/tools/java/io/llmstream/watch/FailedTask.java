package io.llmstream.watch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A short name for the task that failed. Flink names a task after every operator chained in it, e.g.
 * {@code pace per model -> call LLM API -> route results -> (completions sink: Writer -> completions sink:
 * Committer, metric event times) (1/2)#0}; when the stack trace shows the Kafka sink or source failed and the
 * chain holds one of them, its name is enough.
 */
final class FailedTask {
    private static final Pattern SUBTASK = Pattern.compile("\\s*\\(\\d+/\\d+\\)(#\\d+)?\\s*$");
    private static final Pattern SEPARATORS = Pattern.compile("\\s*(->|[(),])\\s*");
    private static final String WRITER = ": Writer";
    private static final String COMMITTER = ": Committer";
    private static final String SOURCE_PREFIX = "Source: ";

    private FailedTask() {}

    static String name(String taskName, String stackTrace) {
        if (taskName == null || taskName.isBlank()) {
            return "a task";
        }
        String chain = SUBTASK.matcher(taskName).replaceFirst("");
        List<String> sinks = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        Set<String> operators = new LinkedHashSet<>();
        for (String part : SEPARATORS.split(chain)) {
            String operator = part.strip();
            if (operator.isEmpty()) {
                continue;
            }
            if (operator.endsWith(WRITER) || operator.endsWith(COMMITTER)) {
                operator = operator.substring(0, operator.lastIndexOf(':'));
                if (!sinks.contains(operator)) {
                    sinks.add(operator);
                }
            } else if (operator.startsWith(SOURCE_PREFIX)) {
                operator = operator.substring(SOURCE_PREFIX.length());
                sources.add(operator);
            }
            operators.add(operator);
        }
        if (operators.size() == 1) {
            return operators.iterator().next();
        }
        if (sinks.size() == 1 && stackTrace.contains("org.apache.flink.connector.kafka.sink.")) {
            return sinks.get(0);
        }
        if (sources.size() == 1 && stackTrace.contains("org.apache.flink.connector.kafka.source.")) {
            return sources.get(0);
        }
        return String.join(" -> ", operators);
    }
}
