package io.llmstream.call.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import org.asynchttpclient.AsyncHandler;
import org.asynchttpclient.HttpResponseBodyPart;
import org.asynchttpclient.HttpResponseStatus;
import org.asynchttpclient.ListenableFuture;
import org.asynchttpclient.Response;
import org.asynchttpclient.netty.request.NettyRequest;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One HTTP attempt as it happens. A streamed answer ({@code text/event-stream}) is read event by event
 * into a {@link StreamedAnswer}; any other body is collected whole and classified as before, so servers
 * that answer a streamed request with a plain body work too.
 *
 * <p>A watchdog catches hung requests early without cutting off long generations: the first token (the
 * first event of a stream; the status line of a plain answer) must come within {@code firstTokenWait}
 * of sending, and a stream may then pause at most {@code idleTimeout} between two pieces. The attempt as
 * a whole is bounded by the HTTP client's request timeout. A timed-out attempt is aborted, which closes
 * its connection, and ends as a retryable {@code timeout}.
 *
 * <p>Queued is not hung: past its first-token wait, a request is aborted only if its server has answered
 * a request sent after it, or has sent nothing at all for the whole wait ({@link ServerProgress}); one
 * that waits behind others while the server keeps answering waits on, up to the attempt timeout.
 */
public final class AttemptExchange implements AsyncHandler<AttemptOutcome> {
    /** While no token has come, the wait is looked at again this often: the model's wait may have dropped. */
    private static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final boolean streamRequested;
    private final ExchangeKind kind;
    private final Supplier<Duration> firstTokenWait;
    private final ServerProgress server;
    private final long idleTimeoutNanos;
    private final Timer timer;
    private final CompletableFuture<AttemptOutcome> outcome = new CompletableFuture<>();
    private final Response.ResponseBuilder plain = new Response.ResponseBuilder();
    /** The streamed answer and its event reader; made once the response turns out to be a stream. */
    private StreamedAnswer streamed;
    private ServerSentEvents events;

    private volatile long sentAtNanos;
    private volatile long sentAtMicros;
    private volatile long headersAtMicros;
    private volatile long firstTokenNanos = -1;
    private volatile long lastActivityNanos;
    private volatile boolean streaming;
    private volatile boolean cancelled;
    private volatile boolean serverSilent;
    private volatile boolean reusedConnection;
    private volatile boolean staleConnection;
    private volatile ListenableFuture<AttemptOutcome> future;
    private volatile Timeout watchdog;
    private volatile Channel channel;
    private HttpHeaders headers;
    private int status;

    /**
     * @param streamRequested whether the request asked for a stream
     * @param firstTokenWait the longest wait from sending to the first token; asked again while waiting, as
     *     the model's answers may lower it meanwhile
     * @param idleTimeout the longest pause between two pieces of a stream
     */
    public AttemptExchange(boolean streamRequested, Supplier<Duration> firstTokenWait, Duration idleTimeout, Timer timer) {
        this(ExchangeKind.CHAT, streamRequested, firstTokenWait, idleTimeout, timer, new ServerProgress());
    }

    /**
     * As above, for an exchange of the given kind, whose successful body is read as that kind's answer, to
     * a server whose other answers tell whether a late first token is queued or hung.
     */
    public AttemptExchange(ExchangeKind kind, boolean streamRequested, Supplier<Duration> firstTokenWait,
            Duration idleTimeout, Timer timer, ServerProgress server) {
        this.server = server;
        this.kind = kind;
        this.streamRequested = streamRequested;
        this.firstTokenWait = firstTokenWait;
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.timer = timer;
    }

    /** Completes once with the attempt's outcome (never exceptionally). */
    public CompletableFuture<AttemptOutcome> outcome() {
        return outcome;
    }

    /** Epoch microseconds at which the request went on the wire; 0 if it never did. */
    public long sentAtMicros() {
        return sentAtMicros;
    }

    /** Epoch microseconds at which the response's headers arrived; 0 if none did. */
    public long headersAtMicros() {
        return headersAtMicros;
    }

    /** Milliseconds from sending to the first event of a streamed answer; -1 if it was not streamed. */
    public long firstTokenMillis() {
        return streaming && firstTokenNanos >= 0 ? (firstTokenNanos - sentAtNanos) / 1_000_000 : -1;
    }

    /** Microseconds from sending to the first token (a plain answer's headers); -1 if none came. */
    public long firstTokenMicros() {
        return firstTokenNanos >= 0 && sentAtNanos > 0 ? (firstTokenNanos - sentAtNanos) / 1000 : -1;
    }

    /** Microseconds from sending until now; -1 if the request was never sent. */
    public long sinceSentMicros() {
        return sentAtNanos > 0 ? (System.nanoTime() - sentAtNanos) / 1000 : -1;
    }

    /** Whether the attempt was given up because its server had sent nothing for the whole first-token wait. */
    public boolean serverSilent() {
        return serverSilent;
    }

    /**
     * Whether the attempt failed because the reused connection it went on had been closed by the server
     * before any answer: the server never saw it, so sending it again is no second attempt.
     */
    public boolean staleConnection() {
        return staleConnection;
    }

    /** The server's address, once a connection was taken; null before. */
    java.net.SocketAddress remoteAddress() {
        Channel connection = channel;
        return connection == null ? null : connection.remoteAddress();
    }

    private static boolean isRemoteClose(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof org.asynchttpclient.exception.RemotelyClosedException
                || cause instanceof java.nio.channels.ClosedChannelException;
    }

    /** Whether the answer came as a stream. */
    boolean streamed() {
        return streaming;
    }

    /** The HTTP client's handle, for aborting. */
    void attach(ListenableFuture<AttemptOutcome> handle) {
        this.future = handle;
        if (cancelled) {
            abort(new AttemptCancelledException());
        }
    }

    /** Whether {@link #cancel()} was called: a request not yet sent must not be. */
    boolean isCancelled() {
        return cancelled;
    }

    /** Withdraws the attempt: it is not sent if it has not been, and aborted if it has. */
    public void cancel() {
        cancelled = true;
        stopWatchdog();
        abort(new AttemptCancelledException());
    }

    @Override
    public void onTcpConnectSuccess(InetSocketAddress address, Channel connection) {
        channel = connection;
    }

    @Override
    public void onConnectionPooled(Channel connection) {
        channel = connection;
        reusedConnection = true;
    }

    @Override
    public void onRequestSend(NettyRequest request) {
        long now = System.nanoTime();
        sentAtNanos = now;
        lastActivityNanos = now;
        sentAtMicros = System.currentTimeMillis() * 1000;
        if (watchdog == null) {
            schedule(Math.min(RECHECK_NANOS, firstTokenWait.get().toNanos()));
        }
    }

    @Override
    public State onStatusReceived(HttpResponseStatus received) {
        touch();
        status = received.getStatusCode();
        plain.accumulate(received);
        return State.CONTINUE;
    }

    @Override
    public State onHeadersReceived(HttpHeaders received) {
        touch();
        headersAtMicros = System.currentTimeMillis() * 1000;
        headers = received;
        plain.accumulate(received);
        String type = received.get(HttpHeaderNames.CONTENT_TYPE);
        streaming = streamRequested && status >= 200 && status < 300 && type != null
                && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        if (streaming) {
            streamed = new StreamedAnswer();
            events = new ServerSentEvents(this::onEvent);
        }
        if (!streaming) {
            // A plain answer's status is its first token: what follows is one body, not a stream.
            firstToken();
        }
        return State.CONTINUE;
    }

    @Override
    public State onBodyPartReceived(HttpResponseBodyPart part) {
        touch();
        if (streaming) {
            events.feed(part.getBodyByteBuffer());
        } else {
            plain.accumulate(part);
        }
        return State.CONTINUE;
    }

    @Override
    public void onThrowable(Throwable failure) {
        stopWatchdog();
        staleConnection = reusedConnection && status == 0 && !cancelled && isRemoteClose(failure);
        if (failure instanceof StreamFailedException broken) {
            outcome.complete(broken.outcome().withLimits(ResponseClassifier.providerLimits(headers)));
        } else {
            outcome.complete(ResponseClassifier.classify(failure));
        }
    }

    @Override
    public AttemptOutcome onCompleted() {
        stopWatchdog();
        AttemptOutcome result;
        try {
            if (streaming) {
                events.end();
                result = streamed.outcome().withLimits(ResponseClassifier.providerLimits(headers));
            } else {
                result = ResponseClassifier.classify(plain.build(), Instant.now(), kind);
            }
        } catch (RuntimeException e) {
            result = AttemptOutcome.failure(io.llmstream.record.ErrorKind.INTERNAL, 0, null,
                    "reading the answer failed: " + e, false, null);
        }
        outcome.complete(result);
        return result;
    }

    private void onEvent(byte[] data, int offset, int length) {
        if (firstTokenNanos < 0) {
            firstToken();
        }
        if (!streamed.accept(data, offset, length) && future != null && !streamed.outcome().succeeded()) {
            // A broken chunk or an error event: nothing good follows, so do not wait for the rest.
            abort(new StreamFailedException(streamed.outcome()));
        }
    }

    private void firstToken() {
        if (firstTokenNanos < 0) {
            long now = System.nanoTime();
            firstTokenNanos = now;
            server.firstToken(sentAtNanos, now);
        }
    }

    private void touch() {
        long now = System.nanoTime();
        lastActivityNanos = now;
        server.sentSomething(now);
    }

    /** Fires at the first-token deadline, then at each idle deadline while the answer keeps coming. */
    private void check(Timeout fired) {
        if (outcome.isDone() || cancelled) {
            return;
        }
        long now = System.nanoTime();
        if (firstTokenNanos < 0) {
            long waitNanos = firstTokenWait.get().toNanos();
            long deadline = sentAtNanos + waitNanos;
            if (now >= deadline && server.overtook(sentAtNanos)) {
                abort(new AttemptTimeoutException("no first token within " + millis(waitNanos)
                        + " while the server answered requests sent after it (call.first-token-timeout, adapted"
                        + " to the model's recent answers)"));
            } else if (now >= deadline && !server.sentSince(now - waitNanos)) {
                serverSilent = true;
                abort(new AttemptTimeoutException("no first token within " + millis(waitNanos)
                        + ", and the server sent nothing to any request meanwhile (call.first-token-timeout,"
                        + " adapted to the model's recent answers)"));
            } else if (now >= deadline) {
                // Queued behind others at a server that keeps answering: wait on, up to the attempt timeout.
                schedule(Math.min(RECHECK_NANOS, waitNanos));
            } else {
                schedule(Math.min(RECHECK_NANOS, deadline - now));
            }
            return;
        }
        if (!streaming) {
            return;
        }
        long idleUntil = lastActivityNanos + idleTimeoutNanos;
        if (now >= idleUntil) {
            abort(new AttemptTimeoutException("the stream paused for more than " + millis(idleTimeoutNanos)
                    + " (call.idle-timeout)"));
            return;
        }
        schedule(idleUntil - now);
    }

    private void schedule(long delayNanos) {
        try {
            watchdog = timer.newTimeout(this::check, delayNanos, TimeUnit.NANOSECONDS);
        } catch (IllegalStateException stopped) {
            // The shared client is shutting down, and its attempts with it.
        }
    }

    /**
     * Ends the attempt with {@code reason} and closes its connection: the client's abort alone would leave
     * it open, holding the provider's slot and an answer nobody reads.
     */
    private void abort(Throwable reason) {
        ListenableFuture<AttemptOutcome> handle = future;
        if (handle != null) {
            handle.abort(reason);
        }
        Channel connection = channel;
        if (connection != null) {
            connection.close();
        }
        if (handle == null && !cancelled) {
            outcome.complete(ResponseClassifier.classify(reason));
        }
    }

    private void stopWatchdog() {
        Timeout current = watchdog;
        if (current != null) {
            current.cancel();
        }
    }

    private static String millis(long nanos) {
        long ms = nanos / 1_000_000;
        return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    /** The attempt was withdrawn; its outcome is ignored. */
    static final class AttemptCancelledException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AttemptCancelledException() {
            super("the attempt was withdrawn", null, false, false);
        }
    }

    /** No first token, or a stream that stopped, in time: a timeout that may pass on the next attempt. */
    static final class AttemptTimeoutException extends java.util.concurrent.TimeoutException {
        private static final long serialVersionUID = 1L;

        AttemptTimeoutException(String message) {
            super(message);
        }
    }

    /** The stream broke (an unreadable chunk, an error event); carries the outcome it ended with. */
    static final class StreamFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient AttemptOutcome outcome;

        StreamFailedException(AttemptOutcome outcome) {
            super(outcome.message(), null, false, false);
            this.outcome = outcome;
        }

        public AttemptOutcome outcome() {
            return outcome;
        }
    }
}
