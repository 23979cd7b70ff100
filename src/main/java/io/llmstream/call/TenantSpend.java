package io.llmstream.call;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.TenantSettings;
import io.llmstream.record.LlmRequest;
import io.llmstream.spend.Nanos;
import io.llmstream.spend.TenantWallet;
import io.llmstream.spend.UtcDay;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tenants' spend caps as a call sees them: which cap a request spends from, what it may cost at most and
 * what it did cost, and the {@link TenantWallet} of this call-stage instance. Absent (null in {@link Routes})
 * when no tenant has a cap.
 */
public final class TenantSpend {
    private final LlmStreamConfig config;
    private final TenantWallet wallet;
    /** The capped tenants ({@code when-spent: wait}) whose requests wait for the next UTC day, until when. */
    private final Map<String, Long> waitingUntil = new ConcurrentHashMap<>();

    TenantSpend(LlmStreamConfig config, TenantWallet wallet) {
        this.config = config;
        this.wallet = wallet;
    }

    TenantWallet wallet() {
        return wallet;
    }

    /** The capped tenant a request spends from; null when its tenant has no cap. */
    TenantSettings spenderOf(LlmRequest request) {
        return config.spendingTenant(request.tenant());
    }

    /**
     * The most a request may cost: its prompt estimate and completion budget ({@code max_tokens} or the model's
     * default) at the highest price of its model and the fallbacks it may go to.
     */
    long reserveNanos(LlmRequest request) {
        ModelSettings primary = config.model(request.model());
        long tokens = Charges.tokens(request, primary);
        long prompt = Math.min(tokens, request.promptTokens());
        double most = primary.price().costOf(prompt, tokens - prompt);
        for (String fallback : primary.fallbacks()) {
            most = Math.max(most, config.model(fallback).price().costOf(prompt, tokens - prompt));
        }
        return Math.max(1, Nanos.ceil(most));
    }

    /** What an answer of {@code model} cost, by the provider's usage. */
    static long costNanos(ModelSettings model, long promptTokens, long completionTokens) {
        return Nanos.round(model.price().costOf(promptTokens, completionTokens));
    }

    /** Notes that a capped tenant's requests wait for the next UTC day, which begins at {@code untilMillis}. */
    void waitsUntil(String spender, long untilMillis) {
        waitingUntil.merge(spender, untilMillis, Math::max);
    }

    /** Until when the request's tenant waits for a new day's spend; in the past when it does not. */
    long waitsUntilMillis(LlmRequest request) {
        TenantSettings spender = spenderOf(request);
        Long until = spender == null ? null : waitingUntil.get(spender.name());
        return until == null ? Long.MIN_VALUE : until;
    }

    /** Why a prompt is refused, naming the setting. */
    static String spentMessage(TenantSettings spender, long nowMillis) {
        return String.format(Locale.ROOT, "tenant %s has spent its %.2f USD of %s (UTC): tenants.%s.spend-per-day",
                spender.name(), spender.spendPerDay(), UtcDay.format(UtcDay.of(nowMillis)), spender.name());
    }
}
