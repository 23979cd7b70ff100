package io.llmstream.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One configuration key: its kebab-case name (relative to its section), type, default, constraints
 * and description. Options are declared as constants, one class per concern, so that the code, the
 * commented {@code conf/llmstream.yaml} and the validation all agree.
 *
 * @param <T> the Java type of the value
 */
public final class Option<T> {
    private final String key;
    private final ValueType<T> type;
    private final T defaultValue;
    private final boolean required;
    private final String description;
    private final List<Constraint<T>> constraints;

    private Option(String key, ValueType<T> type, T defaultValue, boolean required, String description,
            List<Constraint<T>> constraints) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.required = required;
        this.description = description;
        this.constraints = List.copyOf(constraints);
    }

    /** Starts declaring the option {@code key}. */
    public static Builder key(String key) {
        return new Builder(key);
    }

    public String key() {
        return key;
    }

    public ValueType<T> type() {
        return type;
    }

    /** The value when the key is absent; null for required options and options without a default. */
    public T defaultValue() {
        return defaultValue;
    }

    public boolean isRequired() {
        return required;
    }

    public String description() {
        return description;
    }

    /** Checks a converted value; returns the first violated constraint's wording, or null. */
    String violation(T value) {
        for (Constraint<T> constraint : constraints) {
            if (!constraint.test.test(value)) {
                return constraint.wording;
            }
        }
        return null;
    }

    /** Adds a constraint, e.g. {@code mustBe(v -> v > 0, "> 0")}. */
    public Option<T> mustBe(Predicate<T> test, String wording) {
        List<Constraint<T>> all = new ArrayList<>(constraints);
        all.add(new Constraint<>(test, wording));
        return new Option<>(key, type, defaultValue, required, description, all);
    }

    /** Sets the description shown in the documentation and the commented config file. */
    public Option<T> withDescription(String text) {
        return new Option<>(key, type, defaultValue, required, text, constraints);
    }

    @Override
    public String toString() {
        return key;
    }

    private static final class Constraint<T> {
        final Predicate<T> test;
        final String wording;

        Constraint(Predicate<T> test, String wording) {
            this.test = test;
            this.wording = wording;
        }
    }

    /** The first step of declaring an option: its type. */
    public static final class Builder {
        private final String key;

        private Builder(String key) {
            this.key = Objects.requireNonNull(key);
        }

        public <T> TypedBuilder<T> type(ValueType<T> type) {
            return new TypedBuilder<>(key, type);
        }

        public TypedBuilder<String> stringType() {
            return type(ValueType.STRING);
        }

        public TypedBuilder<Integer> intType() {
            return type(ValueType.INT);
        }

        public TypedBuilder<Long> longType() {
            return type(ValueType.LONG);
        }

        public TypedBuilder<Double> doubleType() {
            return type(ValueType.DOUBLE);
        }

        public TypedBuilder<Boolean> booleanType() {
            return type(ValueType.BOOLEAN);
        }

        public TypedBuilder<java.time.Duration> durationType() {
            return type(ValueType.DURATION);
        }

        public <E extends Enum<E>> TypedBuilder<E> enumType(Class<E> enumClass) {
            return type(ValueType.enumType(enumClass));
        }
    }

    /** The second step: a default, none, or required. */
    public static final class TypedBuilder<T> {
        private final String key;
        private final ValueType<T> type;

        private TypedBuilder(String key, ValueType<T> type) {
            this.key = key;
            this.type = type;
        }

        public Option<T> defaultValue(T value) {
            return new Option<>(key, type, Objects.requireNonNull(value), false, "", List.of());
        }

        /** Absent means "not set" (the reader returns null). */
        public Option<T> noDefaultValue() {
            return new Option<>(key, type, null, false, "", List.of());
        }

        /** Absent is an error naming the key. */
        public Option<T> required() {
            return new Option<>(key, type, null, true, "", List.of());
        }
    }
}
