package io.llmstream.call;

/**
 * Splits a merged request's counts back over its prompts in proportion to weights, in whole numbers that
 * add up to the total exactly (largest remainder), so tokens and attempts are counted once overall.
 */
final class MergedUsage {
    private MergedUsage() {}

    /**
     * {@code total} in shares proportional to {@code weights}; equal shares when every weight is 0. The
     * shares add up to {@code total}.
     */
    static long[] split(long total, long[] weights) {
        int n = weights.length;
        long[] shares = new long[n];
        if (n == 0) {
            return shares;
        }
        long sum = 0;
        for (long weight : weights) {
            sum += Math.max(0, weight);
        }
        double[] exact = new double[n];
        long given = 0;
        for (int i = 0; i < n; i++) {
            exact[i] = sum == 0 ? (double) total / n : (double) total * Math.max(0, weights[i]) / sum;
            shares[i] = (long) Math.floor(exact[i]);
            given += shares[i];
        }
        // The rest, one by one, to the largest remainders; ties to the first.
        while (given < total) {
            int best = 0;
            double bestRemainder = -1;
            for (int i = 0; i < n; i++) {
                double remainder = exact[i] - shares[i];
                if (remainder > bestRemainder) {
                    bestRemainder = remainder;
                    best = i;
                }
            }
            shares[best]++;
            exact[best] = shares[best];
            given++;
        }
        return shares;
    }
}
