package io.llmstream.call;

import java.util.List;

/**
 * Splits the prompt tokens a provider reports for a batch among its inputs in proportion to their
 * estimates, by largest remainders, so the shares are whole numbers that add up to the reported total.
 */
final class UsageShares {
    private UsageShares() {}

    /** Each member's share; the members' own estimates when the provider reported none ({@code total} < 0). */
    static int[] split(int total, List<EmbeddingCall> members) {
        int[] estimates = new int[members.size()];
        for (int i = 0; i < estimates.length; i++) {
            estimates[i] = members.get(i).request().promptTokens();
        }
        return split(total, estimates);
    }

    static int[] split(int total, int[] estimates) {
        int n = estimates.length;
        if (total < 0) {
            return estimates.clone();
        }
        long sum = 0;
        for (int estimate : estimates) {
            sum += Math.max(0, estimate);
        }
        int[] shares = new int[n];
        long[] remainders = new long[n];
        long given = 0;
        for (int i = 0; i < n; i++) {
            // With no estimates to go by, the inputs share alike.
            long weight = sum == 0 ? 1 : Math.max(0, estimates[i]);
            long weights = sum == 0 ? n : sum;
            long exact = (long) total * weight;
            shares[i] = (int) (exact / weights);
            remainders[i] = exact % weights;
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
