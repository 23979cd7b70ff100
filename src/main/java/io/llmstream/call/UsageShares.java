package io.llmstream.call;

import io.llmstream.call.embed.EmbeddingCall;
import java.util.List;

/**
 * Splits a count a provider reports for one request (a merged request's or an embeddings batch's tokens)
 * among the prompts or inputs it carried, in proportion to weights, by largest remainders: whole numbers
 * that add up to the total exactly, so every count is counted once overall.
 */
public final class UsageShares {
    private UsageShares() {}

    /**
     * Each member's share of a batch's prompt tokens; the members' own estimates when the provider reported
     * none ({@code total} < 0).
     */
    public static int[] split(int total, List<EmbeddingCall> members) {
        int[] estimates = new int[members.size()];
        for (int i = 0; i < estimates.length; i++) {
            estimates[i] = members.get(i).request().promptTokens();
        }
        return split(total, estimates);
    }

    /**
     * As {@link #split(long, long[])}, but the estimates themselves when no total was reported
     * ({@code total} < 0).
     */
    public static int[] split(int total, int[] estimates) {
        if (total < 0) {
            return estimates.clone();
        }
        long[] weights = new long[estimates.length];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = estimates[i];
        }
        long[] shares = split(total, weights);
        int[] whole = new int[shares.length];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = (int) shares[i];
        }
        return whole;
    }

    /**
     * {@code total} in shares proportional to {@code weights} (negative weights count as 0); equal shares when
     * no weight is positive. The shares add up to {@code total}; the rest after rounding down goes one by one to
     * the largest remainders, ties to the first.
     */
    public static long[] split(long total, long[] weights) {
        int n = weights.length;
        long[] shares = new long[n];
        if (n == 0) {
            return shares;
        }
        long sum = 0;
        for (long weight : weights) {
            sum += Math.max(0, weight);
        }
        long[] remainders = new long[n];
        long given = 0;
        for (int i = 0; i < n; i++) {
            long weight = sum == 0 ? 1 : Math.max(0, weights[i]);
            long of = sum == 0 ? n : sum;
            long exact = total * weight;
            shares[i] = exact / of;
            remainders[i] = exact % of;
            given += shares[i];
        }
        for (long left = total - given; left > 0; left--) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (remainders[i] > remainders[best]) {
                    best = i;
                }
            }
            shares[best]++;
            remainders[best] = -1;
        }
        return shares;
    }
}
