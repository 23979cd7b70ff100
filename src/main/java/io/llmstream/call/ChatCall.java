package io.llmstream.call;

import io.llmstream.call.http.AttemptExchange;
import io.llmstream.call.http.AttemptOutcome;
import io.llmstream.call.http.ResponseClassifier;
import io.llmstream.call.http.SharedHttpClient;
import io.llmstream.call.http.StreamSwitch;
import io.llmstream.config.ApiKey;
import io.llmstream.config.CallSettings;
import io.llmstream.limit.ModelDispatcher;
import io.llmstream.limit.Ticket;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.QueuedRequest;
import org.asynchttpclient.Request;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One prompt's way through the API: ask its model's dispatcher for a turn, attempt on the key it gives,
 * classify, and ask again for a retry after a backoff or the provider's wait, until an answer, a final
 * error, the last attempt or the deadline. Every attempt, retries included, is paid from a model's
 * budget. When the model's circuit is open, its quota is gone or the prompt does not fit its context,
 * the request moves to the next suitable fallback model. No thread ever waits.
 */
public final class ChatCall implements Ticket.Admission, StageCall {
    /** How often one call may go again at once because its reused connection had been closed. */
    static final int MAX_STALE_CONNECTIONS = 3;
    private final QueuedRequest queued;
    private final CallSettings settings;
    private final Routes routes;
    private final RetryPolicy retryPolicy;
    private final SharedHttpClient.Lease http;
    private final long enqueuedMicros;
    private final CompletableFuture<CallResult> result = new CompletableFuture<>();
    /** With records.answer: json, the check every answer must pass; null otherwise. */
    private final JsonAnswerCheck answerCheck;
    /** The content of the last answer that failed the check, kept for its dead letter. */
    private String lastInvalidAnswer;

    private Route route;
    private int chainPosition = -1;
    private Routes.Reason fallbackReason;
    private long startMillis;
    private long deadlineMillis;
    private long waitedMillis;
    private int attempts;
    private int routeAttempts;
    private int malformedAnswers;
    private int rateLimitedResponses;
    /** Attempts sent again because their reused connection had been closed by the server before any answer. */
    private int staleConnections;
    private String lastKeyId;
    private long lastAttemptMillis = -1;
    private long firstTokenMillis = -1;
    private AttemptOutcome lastFailure;
    private volatile boolean cancelled;
    private volatile Ticket waitingTicket;
    private volatile Route waitingRoute;
    private volatile AttemptExchange currentExchange;
    private volatile ChatAnswer answer;
    /** The dispatcher whose concurrency limit the current attempt holds a place under; null between attempts. */
    private final AtomicReference<ModelDispatcher> heldPlace = new AtomicReference<>();
    /** Its part of its tenant's spend cap (nothing to do when the tenant has none). */
    private final CallSpend spend;

    /** @param answerCheck what every answer must pass ({@code records.answer: json}); null for none */
    public ChatCall(QueuedRequest queued, CallSettings settings, Routes routes, RetryPolicy retryPolicy,
            SharedHttpClient.Lease http, JsonAnswerCheck answerCheck) {
        this.answerCheck = answerCheck;
        // The routes of one call stage instance: each keeps its model's first-token times and its
        // endpoint's streaming switch.
        this.queued = queued;
        this.settings = settings;
        this.routes = routes;
        this.retryPolicy = retryPolicy;
        this.http = http;
        this.route = routes.of(queued.request().model(), queued.shard());
        this.enqueuedMicros = System.currentTimeMillis() * 1000;
        this.spend = CallSpend.of(routes, queued.request(), () -> askForTurn(0), message -> fail(
                AttemptOutcome.failure(ErrorKind.SPEND_LIMIT, 0, null, message, false, null)), http::timer);
    }

    /**
     * Starts the call; the future completes exactly once with a completion or a dead letter, unless the
     * call is {@linkplain #cancel() withdrawn} first.
     */
    @Override
    public CompletableFuture<CallResult> start() {
        if (cancelled) {
            return result;
        }
        int window = route.model().contextWindow();
        if (window > 0 && neededTokens() > window) {
            fallBack(Routes.Reason.CONTEXT_LENGTH_EXCEEDED);
        }
        spend.reserve();
        return result;
    }

    /**
     * Withdraws the call: its answer was given otherwise (the async operator's timeout). It leaves its
     * model's queue, an attempt in flight is aborted, and nothing is sent after this returns.
     */
    @Override
    public void cancel() {
        cancelled = true;
        spend.release();
        Ticket ticket = waitingTicket;
        Route waitingOn = waitingRoute;
        if (ticket != null && waitingOn != null) {
            waitingOn.dispatcher().withdraw(ticket);
        }
        AttemptExchange exchange = currentExchange;
        if (exchange != null) {
            exchange.cancel();
        }
    }

    /** Whether the call was withdrawn: its answer was given otherwise. */
    public boolean cancelled() {
        return cancelled;
    }

    private void askForTurn(long notBeforeMicros) {
        if (cancelled) {
            return;
        }
        if (route.dispatcher().isCircuitOpen() && routes.fallBackWhenOpen()) {
            fallBack(Routes.Reason.CIRCUIT_OPEN);
        }
        Ticket ticket = new Ticket(queued.request().priority(), CallSettings.PRIORITY_LEVELS,
                settings.priorityAging().toNanos() / 1000, tokenCost(), enqueuedMicros, notBeforeMicros, this);
        routes.chargeToTenant(ticket, queued.request().tenant(), route.name());
        waitingRoute = route;
        waitingTicket = ticket;
        route.dispatcher().submit(ticket);
    }

    /** Moves to the next fallback that suits the reason; returns false (staying put) if there is none. */
    private boolean fallBack(Routes.Reason reason) {
        int next = routes.next(queued.request().model(), queued.shard(), chainPosition, reason, neededTokens(),
                route.model().contextWindow());
        if (next < 0) {
            return false;
        }
        chainPosition = next;
        route = routes.at(queued.request().model(), queued.shard(), next);
        fallbackReason = reason;
        routeAttempts = 0;
        return true;
    }

    @Override
    public boolean circuitOpened() {
        if (!fallBack(Routes.Reason.CIRCUIT_OPEN)) {
            return false;
        }
        askForTurn(0);
        return true;
    }

    @Override
    public void admitted(int keyIndex, long waitedMicros) {
        waitingTicket = null;
        heldPlace.set(waitingRoute.dispatcher());
        if (cancelled) {
            leavePlace(null, null);
            return;
        }
        try {
            if (attempts == 0) {
                startMillis = System.currentTimeMillis();
                deadlineMillis = startMillis + settings.timeout().toMillis();
                waitedMillis = Math.max(0, startMillis - queued.queuedAtMillis());
            }
            attempt(route, keyIndex);
        } catch (RuntimeException e) {
            leavePlace(null, null);
            failInternally(e);
        }
    }

    /**
     * Frees the attempt's place under its model's concurrency limit, once, telling the limit what the attempt
     * showed: an answer's times, a sign of overload, or nothing (never sent, cancelled, or a failure that says
     * nothing about load).
     */
    private void leavePlace(AttemptExchange exchange, AttemptOutcome outcome) {
        ModelDispatcher held = heldPlace.getAndSet(null);
        if (held == null) {
            return;
        }
        if (exchange != null && outcome != null && outcome.succeeded()) {
            long whole = exchange.sinceSentMicros();
            long first = exchange.firstTokenMicros();
            held.answered(first >= 0 ? first : whole, whole);
        } else if (exchange != null && outcome != null && OverloadSigns.shown(exchange, outcome)) {
            held.overloaded();
        } else {
            held.attemptEnded();
        }
    }

    @Override
    public void refused(String reason) {
        waitingTicket = null;
        fail(lastFailure != null && lastFailure.isKeyRefused()
                ? lastFailure.withMessage(lastFailure.message() + " (" + reason + ")")
                : AttemptOutcome.failure(ErrorKind.AUTH, 0, null, reason, false, null));
    }

    private void attempt(Route current, int keyIndex) {
        long remaining = deadlineMillis - System.currentTimeMillis();
        if (remaining <= 0) {
            leavePlace(null, null);
            String deadline = "call.timeout (" + settings.timeout().toSeconds() + "s) passed";
            fail(lastFailure == null
                    ? AttemptOutcome.failure(ErrorKind.TIMEOUT, 0, null, "no answer: " + deadline, false, null)
                    : lastFailure.withMessage(lastFailure.message() + " (gave up: " + deadline + ")"));
            return;
        }
        attempts++;
        routeAttempts++;
        lastKeyId = current.dispatcher().keyId(keyIndex);
        Duration attemptTimeout = Duration.ofMillis(Math.min(settings.attemptTimeout().toMillis(), remaining));
        StreamSwitch.Mode streamMode = current.stream().mode();
        boolean stream = streamMode.streams();
        Duration plainWait = min(settings.firstTokenTimeout(), attemptTimeout);
        Supplier<Duration> firstTokenWait = stream
                ? () -> min(current.firstTokenWait().current(), attemptTimeout) : () -> plainWait;
        ApiKey key = current.endpoint().apiKeys().isEmpty() ? null : current.endpoint().apiKeys().get(keyIndex);
        Request request = current.requests().build(current.model().providerModel(), queued.request().body(),
                key == null ? null : key.secret(), attemptTimeout, streamMode);
        AttemptExchange exchange = new AttemptExchange(current.requests().kind(), stream, firstTokenWait,
                settings.idleTimeout(), http.timer(), current.server());
        currentExchange = exchange;
        long startedMillis = System.currentTimeMillis();
        exchange.outcome().whenComplete((outcome, failure) -> {
            leavePlace(exchange, outcome);
            if (cancelled) {
                return;
            }
            long sentAtMicros = exchange.sentAtMicros() > 0 ? exchange.sentAtMicros() : startedMillis * 1000;
            lastAttemptMillis = Math.max(0, System.currentTimeMillis() - sentAtMicros / 1000);
            firstTokenMillis = exchange.firstTokenMillis();
            try {
                if (exchange.staleConnection() && staleConnections < MAX_STALE_CONNECTIONS) {
                    // The server closed the pooled connection before this request reached it: not an attempt.
                    staleConnections++;
                    attempts--;
                    routeAttempts--;
                    http.serverClosedUnannounced(exchange);
                    askForTurn(0);
                    return;
                }
                if (firstTokenMillis >= 0 && outcome != null && outcome.succeeded()) {
                    current.firstTokenWait().record(firstTokenMillis);
                }
                if (outcome != null && current.stream().refused(streamMode,
                        outcome.withMessage(current.scrubber().scrub(outcome.message())))) {
                    // Not the prompt's fault: ask again at once, as the server wants, without spending an attempt.
                    routeAttempts--;
                    askForTurn(0);
                    return;
                }
                long headersAtMicros = exchange.headersAtMicros() > 0 ? exchange.headersAtMicros()
                        : System.currentTimeMillis() * 1000;
                onOutcome(current, keyIndex, sentAtMicros, headersAtMicros, outcome != null ? outcome
                        : ResponseClassifier.classify(failure));
            } catch (RuntimeException e) {
                failInternally(e);
            }
        });
        http.send(request, exchange);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void onOutcome(Route current, int keyIndex, long sentAtMicros, long headersAtMicros,
            AttemptOutcome outcome) {
        current.dispatcher().observe(keyIndex, outcome.limits(), sentAtMicros, headersAtMicros);
        if (outcome.succeeded()) {
            current.dispatcher().succeeded(keyIndex);
            AttemptOutcome invalid = answerCheck == null ? null : answerCheck.failure(outcome.answer());
            if (invalid == null) {
                succeed(outcome.answer());
                return;
            }
            // The provider did its part; the answer is not what was asked for, so it is asked again.
            lastInvalidAnswer = outcome.answer().content();
            outcome = invalid;
        }
        lastFailure = outcome;
        if (outcome.kind() == ErrorKind.QUOTA_EXCEEDED || outcome.kind() == ErrorKind.CONTEXT_LENGTH_EXCEEDED) {
            if (fallBack(outcome.kind() == ErrorKind.QUOTA_EXCEEDED
                    ? Routes.Reason.QUOTA_EXCEEDED : Routes.Reason.CONTEXT_LENGTH_EXCEEDED)) {
                askForTurn(0);
            } else {
                fail(outcome);
            }
            return;
        }
        if (outcome.isKeyRefused()) {
            current.dispatcher().refused(keyIndex, outcome.status());
        } else if (outcome.isRateLimited()) {
            rateLimitedResponses++;
            routeAttempts--;  // a 429 spends no attempt (RetryPolicy)
            current.dispatcher().rateLimited(keyIndex, RetryPolicy.rateLimitWait(outcome).toNanos() / 1000);
        } else if (outcome.retryable() && outcome.kind() != ErrorKind.INVALID_ANSWER) {
            current.dispatcher().failed(keyIndex);
        }
        if (outcome.kind() == ErrorKind.MALFORMED_RESPONSE) {
            malformedAnswers++;
        }
        RetryPolicy.Next next = retryPolicy.after(outcome, routeAttempts, malformedAnswers,
                current.dispatcher().usableKeys() > 0);
        if (next.givesUp()) {
            fail(outcome.kind() == ErrorKind.MALFORMED_RESPONSE || attempts > 1
                    ? outcome.withMessage(outcome.message() + " (gave up: " + next.reason() + ")") : outcome);
            return;
        }
        long retryAtMillis = System.currentTimeMillis() + next.delay().toMillis();
        if (retryAtMillis >= deadlineMillis) {
            fail(outcome.withMessage(outcome.message() + " (gave up: the next attempt could go only after "
                    + "call.timeout)"));
            return;
        }
        askForTurn(retryAtMillis * 1000);
    }

    private long tokenCost() {
        return Charges.tokens(queued.request(), route.model());
    }

    /** Prompt plus completion tokens, for the context window; an embeddings batch's inputs are checked one by one. */
    private long neededTokens() {
        return route.model().isEmbedding() ? 0 : tokenCost();
    }

    /** The successful answer, once the call's future completed with a completion; null before or otherwise. */
    public ChatAnswer answer() {
        return answer;
    }

    private void succeed(ChatAnswer answer) {
        this.answer = answer;
        LlmRequest request = queued.request();
        long latency = System.currentTimeMillis() - startMillis;
        int promptTokens = answer.promptTokens() >= 0 ? answer.promptTokens() : request.promptTokens();
        int completionTokens = answer.completionTokens() >= 0 ? answer.completionTokens()
                : route.completionTokens(answer.content());
        int totalTokens = answer.totalTokens() >= 0 ? answer.totalTokens() : promptTokens + completionTokens;
        boolean fellBack = chainPosition >= 0;
        Completion completion = new Completion(request.id(), route.name(), answer.content(), answer.finishReason(),
                answer.toolCalls(), promptTokens, completionTokens, totalTokens, attempts, latency, waitedMillis,
                firstTokenMillis, fellBack ? request.model() : null, fellBack ? fallbackReason.jsonName() : null,
                request.metadata());
        spend.settle(route.model(), promptTokens, completionTokens);
        result.complete(CallResult.success(request, completion,
                metric(null, latency, promptTokens, completionTokens)));
    }

    private void fail(AttemptOutcome outcome) {
        LlmRequest request = queued.request();
        long elapsed = startMillis == 0 ? 0 : System.currentTimeMillis() - startMillis;
        DeadLetter deadLetter = DeadLetter.failedRequest(request, outcome.kind(), outcome.status(), outcome.code(),
                route.scrubber().scrub(outcome.message()), attempts, route.name(), lastKeyId, elapsed);
        if (outcome.kind() == ErrorKind.INVALID_ANSWER) {
            deadLetter = deadLetter.withAnswer(lastInvalidAnswer);
        }
        spend.release();
        result.complete(CallResult.failure(request, deadLetter, metric(outcome.kind(), elapsed, 0, 0)));
    }

    private void failInternally(RuntimeException e) {
        fail(AttemptOutcome.failure(ErrorKind.INTERNAL, 0, null, e.toString(), false, null));
    }

    private MetricEvent metric(ErrorKind kind, long latencyMs, int promptTokens, int completionTokens) {
        return new MetricEvent(route.name(), lastKeyId, kind, attempts, latencyMs, waitedMillis, promptTokens,
                completionTokens, tokenCost(), rateLimitedResponses, chainPosition >= 0, lastAttemptMillis,
                kind == null ? firstTokenMillis : -1, false, attempts == 0 ? -1 : route.dispatcher().concurrencyLimit());
    }
}
