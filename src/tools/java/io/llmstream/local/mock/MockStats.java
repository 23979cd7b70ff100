package io.llmstream.local.mock;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable snapshot of the mock server's counters, from {@link MockLlmServer#stats()} or, as JSON
 * of the same shape, from {@code GET /mock/stats}.
 *
 * @param requests every request to {@code /v1}, whatever its outcome
 * @param responsesByStatus responses sent, by HTTP status (resets and hangs send none)
 * @param rateLimited 429s from the rate limiter (scripted 429s count only in {@code responsesByStatus})
 * @param resets connections aborted with a TCP reset
 * @param hangs requests that hung: never answered, or answered only after {@code --hang-for} or
 *     {@code hang(ms=N)}
 * @param malformed 200s with a body or a stream that is not a valid completion, broken streams included
 * @param outageRefusals 503s of the outage window
 * @param promptTokens prompt tokens of successful completions and embeddings
 * @param completionTokens completion tokens of successful completions
 * @param streamed 200s sent as an event stream, whole or broken (also counted in {@code responsesByStatus})
 * @param inFlight chat and embedding requests received and not yet answered, their stream not yet
 *     ended, their connection not yet closed; hung requests stay in flight until the client gives up
 * @param maxInFlight the highest {@code inFlight} since start or the last reset: how many requests a
 *     client really had open at once
 * @param slots {@code --slots}: how many admitted requests are served at once; 0 is no limit and no queue,
 *     and then the queue fields stay 0
 * @param queued admitted requests waiting for a slot now (also counted in {@code inFlight})
 * @param maxQueued the highest {@code queued} since start or the last reset
 * @param served requests that took a slot, at once or after waiting
 * @param queueWaitMsP50 the median wait for a slot of the latest 4096 served requests, in milliseconds
 * @param queueWaitMsMax the longest wait for a slot since start or the last reset, in milliseconds
 * @param byKeyModel per {@code keyFingerprint@model}
 * @param batch the Batch API's counters
 */
public record MockStats(long requests, Map<Integer, Long> responsesByStatus, long rateLimited, long resets,
                        long hangs, long malformed, long outageRefusals, long promptTokens, long completionTokens,
                        long streamed, long inFlight, long maxInFlight, int slots, long queued, long maxQueued,
                        long served, long queueWaitMsP50, long queueWaitMsMax, Map<String, KeyModel> byKeyModel,
                        Batch batch) {

    public MockStats {
        // Sorted, so the JSON and the summary read in a stable order.
        responsesByStatus = Collections.unmodifiableMap(new TreeMap<>(responsesByStatus));
        byKeyModel = Collections.unmodifiableMap(new TreeMap<>(byKeyModel));
    }

    /**
     * The Batch API's counters ({@link MockBatches}), as of the moment of the snapshot: batches are brought up to
     * date before it is taken. Requests to the files and batches endpoints also count in {@code requests} and
     * {@code responsesByStatus}, their 429s in {@code rateLimited}; batch lines do not, nor their tokens in
     * {@code promptTokens} and {@code completionTokens}.
     *
     * @param filesUploaded files uploaded with {@code POST /v1/files} (output and error files not included)
     * @param batchesCreated batches created, failed at once included
     * @param batchesByStatus batches that ended, by final status: {@code completed}, {@code failed},
     *     {@code expired}, {@code cancelled}
     * @param linesSubmitted valid lines of the created batches' input files
     * @param linesAnswered lines answered with a 2xx, written to output files
     * @param linesFailed lines written to error files: answered with a 4xx or 5xx, or left unanswered by an
     *     expired ({@code batch_expired}) or cancelled ({@code batch_cancelled}) batch
     * @param promptTokens prompt tokens of the lines answered with a 2xx
     * @param completionTokens completion tokens of the lines answered with a 2xx
     */
    public record Batch(long filesUploaded, long batchesCreated, Map<String, Long> batchesByStatus,
                        long linesSubmitted, long linesAnswered, long linesFailed, long promptTokens,
                        long completionTokens) {

        public Batch {
            batchesByStatus = Collections.unmodifiableMap(new TreeMap<>(batchesByStatus));
        }

        /** Batches that ended with this status ({@code completed}, {@code failed}, ...). */
        public long ended(String status) {
            return batchesByStatus.getOrDefault(status, 0L);
        }
    }

    /**
     * The counters of one API key (by fingerprint) and model. Peaks are the most admitted requests and
     * tokens in any 1 s and any 60 s sliding window, so a test can check a client never exceeded a
     * limit. With a bucket window of W the server itself admits up to limit × (W + 1 s) / 60 s requests
     * in a second and limit × (W + 60 s) / 60 s in a minute (a bucket starts full).
     *
     * @param requests requests that passed authentication and validation
     * @param admitted requests the rate limiter admitted
     * @param rateLimited requests the rate limiter refused
     * @param tokens tokens charged to the limit for admitted requests: prompt plus {@code max_tokens},
     *     or plus the completion when no {@code max_tokens} was given
     * @param lastAdmittedNanos the server's {@link System#nanoTime()} at the latest admission, 0 if none:
     *     the rate between two snapshots is exact when measured between their latest admissions
     */
    public record KeyModel(String keyFingerprint, String model, long requests, long admitted, long rateLimited,
                           long tokens, long peakRequests1s, long peakRequests60s, long peakTokens1s,
                           long peakTokens60s, long lastAdmittedNanos) {}

    /** Responses sent with this status. */
    public long status(int status) {
        return responsesByStatus.getOrDefault(status, 0L);
    }

    /** The counters of a key (given as the key itself) and model; all zero when it sent nothing. */
    public KeyModel keyModel(String apiKey, String model) {
        String fingerprint = MockAuth.fingerprint(apiKey);
        KeyModel found = byKeyModel.get(fingerprint + "@" + model);
        return found != null ? found : new KeyModel(fingerprint, model, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** One line for a console: totals, statuses, faults, concurrency, with slots the queue, and batches if any. */
    public String summary() {
        StringBuilder out = new StringBuilder("requests=").append(requests);
        responsesByStatus.forEach((status, count) -> out.append(' ').append(status).append('=').append(count));
        out.append(" rate_limited=").append(rateLimited)
                .append(" resets=").append(resets)
                .append(" hangs=").append(hangs)
                .append(" malformed=").append(malformed)
                .append(" outage=").append(outageRefusals)
                .append(" prompt_tokens=").append(promptTokens)
                .append(" completion_tokens=").append(completionTokens)
                .append(" streamed=").append(streamed)
                .append(" in_flight=").append(inFlight)
                .append(" max_in_flight=").append(maxInFlight);
        if (slots > 0) {
            out.append(" slots=").append(slots)
                    .append(" queued=").append(queued)
                    .append(" max_queued=").append(maxQueued)
                    .append(" served=").append(served)
                    .append(" queue_wait_ms_p50=").append(queueWaitMsP50)
                    .append(" queue_wait_ms_max=").append(queueWaitMsMax);
        }
        if (batch.filesUploaded() > 0 || batch.batchesCreated() > 0) {
            out.append(" files=").append(batch.filesUploaded())
                    .append(" batches=").append(batch.batchesCreated());
            batch.batchesByStatus().forEach((status, count) -> out.append(" batches_").append(status).append('=')
                    .append(count));
            out.append(" batch_lines=").append(batch.linesSubmitted())
                    .append(" batch_lines_answered=").append(batch.linesAnswered())
                    .append(" batch_lines_failed=").append(batch.linesFailed());
        }
        return out.toString();
    }
}
