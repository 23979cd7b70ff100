package io.llmstream.call;

import io.llmstream.config.CallSettings;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.ModelBudget;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.PacedRequest;
import org.asynchttpclient.Request;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One prompt's way through the API: wait for its admission time, then attempt, classify, and retry
 * after a backoff or the wait the provider asked for, until an answer, a final error, the last attempt
 * or the deadline. Every wait is a task on the shared timer; no thread ever sleeps.
 */
final class ChatCall {
    private final PacedRequest paced;
    private final ModelSettings model;
    private final CallSettings settings;
    private final ChatRequestFactory requests;
    private final KeyRing keys;
    private final Backoff backoff;
    private final SharedHttpClient.Lease http;
    private final ModelBudget budget;
    private final CompletableFuture<CallResult> result = new CompletableFuture<>();

    private long startMillis;
    private long deadlineMillis;
    private int attempts;
    private int rateLimitedResponses;
    private String lastKeyId;

    ChatCall(PacedRequest paced, ModelSettings model, CallSettings settings, ChatRequestFactory requests,
            KeyRing keys, Backoff backoff, SharedHttpClient.Lease http, ModelBudget budget) {
        this.paced = paced;
        this.model = model;
        this.settings = settings;
        this.requests = requests;
        this.keys = keys;
        this.backoff = backoff;
        this.http = http;
        this.budget = budget;
    }

    /**
     * Starts the call; the future completes exactly once with a completion or a dead letter.
     *
     * @param reserveAgain true for a request whose admission predates this run (restored from a
     *     checkpoint): its old admission time says nothing about today's budget, so it pays again
     */
    CompletableFuture<CallResult> start(boolean reserveAgain) {
        long admitAt = reserveAgain
                ? budget.reserve(nowMicros(), 0, tokenCost())
                : paced.admitAtMicros();
        runAt(admitAt, this::begin);
        return result;
    }

    private void runAt(long epochMicros, Runnable task) {
        long waitMicros = epochMicros - nowMicros();
        if (waitMicros > 0) {
            http.timer().schedule(task, waitMicros, TimeUnit.MICROSECONDS);
        } else {
            task.run();
        }
    }

    private long tokenCost() {
        return paced.request().tokenCost(model.defaultMaxTokens());
    }

    private static long nowMicros() {
        return System.currentTimeMillis() * 1000;
    }

    private void begin() {
        startMillis = System.currentTimeMillis();
        deadlineMillis = startMillis + settings.timeout().toMillis();
        attempt();
    }

    private void attempt() {
        try {
            long remaining = deadlineMillis - System.currentTimeMillis();
            if (remaining <= 0) {
                fail(AttemptOutcome.failure(ErrorKind.TIMEOUT, 0, null, "no answer within call.timeout ("
                        + settings.timeout().toSeconds() + "s)", false, null));
                return;
            }
            attempts++;
            int keyIndex = keys.nextIndex();
            lastKeyId = keys.keyId(keyIndex);
            Duration attemptTimeout = Duration.ofMillis(Math.min(settings.attemptTimeout().toMillis(), remaining));
            Request request = requests.build(model.providerModel(), paced.request().body(), keys.key(keyIndex),
                    attemptTimeout);
            http.execute(request).whenComplete((response, failure) -> {
                try {
                    onOutcome(response != null
                            ? ResponseClassifier.classify(response, Instant.now())
                            : ResponseClassifier.classify(failure));
                } catch (RuntimeException e) {
                    failInternally(e);
                }
            });
        } catch (RuntimeException e) {
            failInternally(e);
        }
    }

    private void onOutcome(AttemptOutcome outcome) {
        if (outcome.succeeded()) {
            succeed(outcome.answer());
            return;
        }
        if (outcome.isRateLimited()) {
            rateLimitedResponses++;
        }
        if (!outcome.retryable() || attempts >= settings.retry().maxAttempts()) {
            fail(outcome);
            return;
        }
        Duration wait = outcome.retryAfter() != null ? outcome.retryAfter() : backoff.delay(attempts);
        // The retry is paid from the model's budget like any request, so retries never push past the limits.
        long retryAt = budget.reserve(nowMicros(), nowMicros() + wait.toNanos() / 1000, tokenCost());
        if (retryAt / 1000 >= deadlineMillis) {
            fail(outcome.withMessage(outcome.message() + " (gave up: the next attempt could go only in "
                    + (retryAt / 1000 - System.currentTimeMillis()) + " ms, after call.timeout)"));
            return;
        }
        runAt(retryAt, this::attempt);
    }

    private void succeed(ChatAnswer answer) {
        LlmRequest request = paced.request();
        long latency = System.currentTimeMillis() - startMillis;
        int promptTokens = answer.promptTokens() >= 0 ? answer.promptTokens() : request.promptTokens();
        int completionTokens = Math.max(0, answer.completionTokens());
        int totalTokens = answer.totalTokens() >= 0 ? answer.totalTokens() : promptTokens + completionTokens;
        Completion completion = new Completion(request.id(), request.model(), answer.content(), answer.finishReason(),
                answer.toolCalls(), promptTokens, completionTokens, totalTokens, attempts, latency, request.metadata());
        result.complete(CallResult.success(completion, metric(null, latency, promptTokens, completionTokens)));
    }

    private void fail(AttemptOutcome outcome) {
        LlmRequest request = paced.request();
        long elapsed = System.currentTimeMillis() - startMillis;
        DeadLetter deadLetter = new DeadLetter(request.id(), outcome.kind(), outcome.status(), outcome.code(),
                outcome.message(), attempts, request.model(), lastKeyId, elapsed, request.input());
        result.complete(CallResult.failure(deadLetter, metric(outcome.kind(), elapsed, 0, 0)));
    }

    private void failInternally(RuntimeException e) {
        fail(AttemptOutcome.failure(ErrorKind.INTERNAL, 0, null, e.toString(), false, null));
    }

    private MetricEvent metric(ErrorKind kind, long latencyMs, int promptTokens, int completionTokens) {
        long waitMs = Math.max(0, startMillis - paced.pacedAtMillis());
        return new MetricEvent(paced.request().model(), kind, attempts, latencyMs, waitMs, promptTokens,
                completionTokens, paced.request().tokenCost(model.defaultMaxTokens()), rateLimitedResponses);
    }
}
