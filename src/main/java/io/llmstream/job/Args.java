package io.llmstream.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags: {@code --name value}, {@code --name=value} and bare {@code --switch}. Unknown
 * flags and malformed values are errors that name the flag and the value. Read by {@link JobMain} under
 * {@code flink run} and by every command of {@code llmstream.jar}.
 */
public final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private Args() {}

    /**
     * Parses flags.
     *
     * @param switches flags that take no value
     * @param known every accepted flag, switches included
     */
    public static Args parse(List<String> args, Set<String> switches, Set<String> known) {
        Args parsed = new Args();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown flag --" + name);
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value, was given '" + value + "'");
                }
                value = "true";
            } else if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = args.get(++i);
            }
            parsed.values.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
        }
        return parsed;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** The last value given for a flag, or the default. */
    public String get(String name, String defaultValue) {
        List<String> given = values.get(name);
        return given == null ? defaultValue : given.get(given.size() - 1);
    }

    /** Every value given for a repeatable flag, in order. */
    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** An integer flag within bounds. */
    public int getInt(String name, int defaultValue, int min, int max) {
        String text = get(name, null);
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " must be an integer between " + min + " and " + max
                + ", was '" + text + "'");
    }

    /** A wrong command line: printed with the usage, exit code 2. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
