package io.llmstream.call;

import io.llmstream.config.ApiKey;
import io.llmstream.config.CallSettings;
import io.llmstream.config.EndpointSettings;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.limit.Ticket;
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

/**
 * One prompt's way through the API: ask the model's dispatcher for a turn, attempt on the key it
 * gives, classify, and ask again for a retry after a backoff or the provider's wait, until an answer, a
 * final error, the last attempt or the deadline. Every attempt, retries included, is paid from the
 * model's budget. No thread ever waits: turns and backoffs are the dispatcher's timer.
 */
final class ChatCall implements Ticket.Admission {
    /** How long a key rests after a 429 that names no wait. */
    static final Duration DEFAULT_RATE_LIMIT_WAIT = Duration.ofSeconds(1);

    private final PacedRequest paced;
    private final ModelSettings model;
    private final EndpointSettings endpoint;
    private final CallSettings settings;
    private final ChatRequestFactory requests;
    private final Backoff backoff;
    private final SharedHttpClient.Lease http;
    private final ModelDispatcher dispatcher;
    private final long enqueuedMicros;
    private final CompletableFuture<CallResult> result = new CompletableFuture<>();

    private long startMillis;
    private long deadlineMillis;
    private long waitedMillis;
    private int attempts;
    private int rateLimitedResponses;
    private String lastKeyId;
    private AttemptOutcome lastFailure;

    ChatCall(PacedRequest paced, ModelSettings model, EndpointSettings endpoint, CallSettings settings,
            ChatRequestFactory requests, Backoff backoff, SharedHttpClient.Lease http, ModelDispatcher dispatcher) {
        this.paced = paced;
        this.model = model;
        this.endpoint = endpoint;
        this.settings = settings;
        this.requests = requests;
        this.backoff = backoff;
        this.http = http;
        this.dispatcher = dispatcher;
        this.enqueuedMicros = System.currentTimeMillis() * 1000;
    }

    /** Starts the call; the future completes exactly once with a completion or a dead letter. */
    CompletableFuture<CallResult> start() {
        askForTurn(0);
        return result;
    }

    private void askForTurn(long notBeforeMicros) {
        dispatcher.submit(new Ticket(paced.request().priority(), CallSettings.PRIORITY_LEVELS,
                settings.priorityAging().toNanos() / 1000, tokenCost(), enqueuedMicros, notBeforeMicros, this));
    }

    @Override
    public void admitted(int keyIndex, long waitedMicros) {
        try {
            if (attempts == 0) {
                startMillis = System.currentTimeMillis();
                deadlineMillis = startMillis + settings.timeout().toMillis();
                waitedMillis = Math.max(0, startMillis - paced.pacedAtMillis());
            }
            attempt(keyIndex);
        } catch (RuntimeException e) {
            failInternally(e);
        }
    }

    @Override
    public void refused(String reason) {
        fail(AttemptOutcome.failure(ErrorKind.AUTH, 0, null, reason, false, null));
    }

    private void attempt(int keyIndex) {
        long remaining = deadlineMillis - System.currentTimeMillis();
        if (remaining <= 0) {
            String deadline = "call.timeout (" + settings.timeout().toSeconds() + "s) passed";
            fail(lastFailure == null
                    ? AttemptOutcome.failure(ErrorKind.TIMEOUT, 0, null, "no answer: " + deadline, false, null)
                    : lastFailure.withMessage(lastFailure.message() + " (gave up: " + deadline + ")"));
            return;
        }
        attempts++;
        lastKeyId = dispatcher.keyId(keyIndex);
        Duration attemptTimeout = Duration.ofMillis(Math.min(settings.attemptTimeout().toMillis(), remaining));
        ApiKey key = endpoint.apiKeys().isEmpty() ? null : endpoint.apiKeys().get(keyIndex);
        Request request = requests.build(model.providerModel(), paced.request().body(),
                key == null ? null : key.secret(), attemptTimeout);
        http.execute(request).whenComplete((response, failure) -> {
            try {
                onOutcome(keyIndex, response != null
                        ? ResponseClassifier.classify(response, Instant.now())
                        : ResponseClassifier.classify(failure));
            } catch (RuntimeException e) {
                failInternally(e);
            }
        });
    }

    private void onOutcome(int keyIndex, AttemptOutcome outcome) {
        dispatcher.observe(keyIndex, outcome.limits());
        if (outcome.succeeded()) {
            dispatcher.succeeded(keyIndex);
            succeed(outcome.answer());
            return;
        }
        lastFailure = outcome;
        Duration wait;
        if (outcome.isKeyRefused()) {
            // Not the request's fault: the same request goes at once on another key, if one is left.
            dispatcher.refused(keyIndex, outcome.status());
            wait = Duration.ZERO;
        } else if (outcome.isRateLimited()) {
            rateLimitedResponses++;
            Duration hold = outcome.retryAfter() != null ? outcome.retryAfter() : DEFAULT_RATE_LIMIT_WAIT;
            dispatcher.rateLimited(keyIndex, hold.toNanos() / 1000);
            wait = Duration.ZERO;
        } else if (outcome.retryable()) {
            dispatcher.failed(keyIndex);
            wait = outcome.retryAfter() != null ? outcome.retryAfter() : backoff.delay(attempts);
        } else {
            fail(outcome);
            return;
        }
        boolean retryable = outcome.retryable() || (outcome.isKeyRefused() && endpoint.apiKeys().size() > 1);
        if (!retryable || attempts >= settings.retry().maxAttempts()) {
            fail(outcome);
            return;
        }
        long retryAtMillis = System.currentTimeMillis() + wait.toMillis();
        if (retryAtMillis >= deadlineMillis) {
            fail(outcome.withMessage(outcome.message() + " (gave up: the next attempt could go only after "
                    + "call.timeout)"));
            return;
        }
        askForTurn(retryAtMillis * 1000);
    }

    private long tokenCost() {
        return paced.request().tokenCost(model.defaultMaxTokens());
    }

    private void succeed(ChatAnswer answer) {
        LlmRequest request = paced.request();
        long latency = System.currentTimeMillis() - startMillis;
        int promptTokens = answer.promptTokens() >= 0 ? answer.promptTokens() : request.promptTokens();
        int completionTokens = Math.max(0, answer.completionTokens());
        int totalTokens = answer.totalTokens() >= 0 ? answer.totalTokens() : promptTokens + completionTokens;
        Completion completion = new Completion(request.id(), request.model(), answer.content(), answer.finishReason(),
                answer.toolCalls(), promptTokens, completionTokens, totalTokens, attempts, latency, waitedMillis,
                request.metadata());
        result.complete(CallResult.success(completion, metric(null, latency, promptTokens, completionTokens)));
    }

    private void fail(AttemptOutcome outcome) {
        LlmRequest request = paced.request();
        long elapsed = startMillis == 0 ? 0 : System.currentTimeMillis() - startMillis;
        DeadLetter deadLetter = new DeadLetter(request.id(), outcome.kind(), outcome.status(), outcome.code(),
                outcome.message(), attempts, request.model(), lastKeyId, elapsed, request.input());
        result.complete(CallResult.failure(deadLetter, metric(outcome.kind(), elapsed, 0, 0)));
    }

    private void failInternally(RuntimeException e) {
        fail(AttemptOutcome.failure(ErrorKind.INTERNAL, 0, null, e.toString(), false, null));
    }

    private MetricEvent metric(ErrorKind kind, long latencyMs, int promptTokens, int completionTokens) {
        return new MetricEvent(paced.request().model(), lastKeyId, kind, attempts, latencyMs, waitedMillis,
                promptTokens, completionTokens, tokenCost(), rateLimitedResponses);
    }
}
