package io.llmstream.spend;

/** US dollars as the whole nano-dollars (10⁻⁹) that spend is counted in, so that sums are exact. */
public final class Nanos {
    private static final double PER_DOLLAR = 1e9;

    private Nanos() {}

    /** Dollars to nano-dollars, rounded up: what a reservation holds. */
    public static long ceil(double dollars) {
        return (long) Math.ceil(dollars * PER_DOLLAR);
    }

    /** Dollars to nano-dollars, rounded down: a cap. */
    public static long floor(double dollars) {
        return (long) Math.floor(dollars * PER_DOLLAR);
    }

    /** Dollars to nano-dollars, rounded: what an answer cost. */
    public static long round(double dollars) {
        return Math.round(dollars * PER_DOLLAR);
    }

    public static double dollars(long nanos) {
        return nanos / PER_DOLLAR;
    }
}
