package io.llmstream.batch;

import io.llmstream.config.BatchLaneSettings;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The batch lane of one model, as decisions: which lines go into the next batch and when, and
 * what becomes of each line when its batch ends. It makes no calls itself; its operator uploads, submits,
 * polls and reads back, and tells it what the provider said. Time is given, never read, so every decision
 * can be tested with controlled time.
 *
 * <ul>
 *   <li>A batch is due when {@code max-lines} lines wait, the oldest has waited {@code max-wait}, or lines
 *       came back from a batch (they waited for one already); it takes
 *       the oldest lines first, up to {@code max-lines}, {@link BatchLaneSettings#MAX_FILE_BYTES} and what
 *       the enqueued-token limit leaves beside the open batches. One submission runs at a time.</li>
 *   <li>Each line of an ended batch is answered (200), refused for good (400, 404, 422: a dead letter, as
 *       online), waits for another batch without spending an attempt (429), or is asked again in a later
 *       batch, spending an attempt (5xx, left unfinished by an expired or cancelled batch, or missing from
 *       both files) until {@code call.retry.max-attempts}, then a dead letter with the last reason.</li>
 *   <li>A batch that failed validation: lines the provider named are dead letters with its message, the others
 *       wait again; without lines named, all spend an attempt and the next batches are half as large, so a
 *       bad line ends alone. A batch refused for {@code token_limit_exceeded} gives its lines back without an
 *       attempt; the lane learns the provider's limit from it and waits ({@link EnqueuedTokens}): never a loop
 *       of failing submissions.</li>
 * </ul>
 *
 * <p>Not thread-safe: its operator calls it from the task's thread.
 */
public final class ModelLane {
    /** A line's share of a batch file beyond its body: custom_id, method, url, the model. */
    private static final int LINE_OVERHEAD_BYTES = 160;

    private final BatchLaneSettings settings;
    private final int maxAttempts;
    private final LinkedHashMap<String, LaneLine> waiting = new LinkedHashMap<>();
    private final Map<String, OpenBatch> open = new LinkedHashMap<>();
    private Submission submitting;
    private long nextSequence;
    private final EnqueuedTokens queue;
    /** Until when submissions wait (a 429 on the files or batches endpoint, or a token wait with none open). */
    private long waitUntilMillis;
    /** The most lines of the next batch, after one failed validation without naming its bad lines. */
    private int splitLines;
    /** Lines came back from a batch: they waited for one already, so the next is due at once. */
    private boolean linesCameBack;
    /**
     * Lines of batches found at the provider after a restore that the checkpoint did not hold, whose records are
     * still to be read again: custom_id to batch id.
     */
    private final Map<String, String> orphanLines = new HashMap<>();

    /** A batch to submit: its sequence and lines, taken out of the waiting ones. */
    public record Submission(long sequence, List<LaneLine> lines, long tokens) {}

    public ModelLane(BatchLaneSettings settings, int maxAttempts) {
        this.settings = settings;
        this.maxAttempts = maxAttempts;
        this.splitLines = settings.maxLines();
        this.queue = new EnqueuedTokens(settings);
    }

    /**
     * Takes a record into the lane; false if its custom_id is already there (a record read again after a
     * restore that the lane had taken before the checkpoint).
     */
    public boolean add(LlmRequest request, long tokens, long nowMillis) {
        String customId = BatchLine.customId(request);
        String orphan = orphanLines.remove(customId);
        if (orphan != null) {
            // Sent before the restart in a batch the checkpoint does not hold: it joins that batch.
            open.get(orphan).lines().add(new LaneLine(customId, request, tokens, 0, null, nowMillis));
            return true;
        }
        if (waiting.containsKey(customId) || inBatch(customId)) {
            return false;
        }
        waiting.put(customId, new LaneLine(customId, request, tokens, 0, null, nowMillis));
        return true;
    }

    private boolean inBatch(String customId) {
        if (submitting != null && submitting.lines.stream().anyMatch(line -> line.customId().equals(customId))) {
            return true;
        }
        for (OpenBatch batch : open.values()) {
            for (LaneLine line : batch.lines()) {
                if (line.customId().equals(customId)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The batch to submit now, if one is due and may go; its lines leave the waiting ones until
     * {@link #submitted} or {@link #submissionFailed}. Lines that could never fit the enqueued-token limit
     * come back as dead letters through {@code dead}.
     */
    public Submission nextSubmission(long nowMillis, List<LaneOutcome> dead) {
        return nextSubmission(nowMillis, dead, false);
    }

    /** As {@link #nextSubmission(long, List)}; with {@code flush}, the lines waiting go without waiting to be more. */
    public Submission nextSubmission(long nowMillis, List<LaneOutcome> dead, boolean flush) {
        if (submitting != null || waiting.isEmpty() || nowMillis < waitUntilMillis) {
            return null;
        }
        if (queue.blocked()) {
            return null;
        }
        LaneLine oldest = waiting.values().iterator().next();
        int most = Math.min(settings.maxLines(), splitLines);
        if (waiting.size() < most && !linesCameBack && !flush
                && nowMillis - oldest.sinceMillis() < settings.maxWait().toMillis()) {
            return null;
        }
        List<LaneLine> lines = new ArrayList<>();
        long tokens = 0;
        long bytes = 0;
        Iterator<LaneLine> each = waiting.values().iterator();
        while (each.hasNext() && lines.size() < most) {
            LaneLine line = each.next();
            if (settings.hasEnqueuedTokenLimit() && line.tokens() > settings.enqueuedTokens()) {
                each.remove();
                dead.add(LaneOutcome.dead(line, null, null, ErrorKind.BAD_REQUEST, "the line needs about "
                        + line.tokens() + " tokens, more than batch-lane.enqueued-tokens (" + settings.enqueuedTokens()
                        + "), so no batch could take it"));
                continue;
            }
            long lineBytes = line.request().body().length() + LINE_OVERHEAD_BYTES;
            boolean tokensFit = queue.fits(tokens, line.tokens());
            if (!tokensFit || bytes + lineBytes > BatchLaneSettings.MAX_FILE_BYTES) {
                break;
            }
            lines.add(line);
            tokens += line.tokens();
            bytes += lineBytes;
        }
        if (lines.isEmpty()) {
            return null;
        }
        lines.forEach(line -> waiting.remove(line.customId()));
        linesCameBack = false;
        submitting = new Submission(nextSequence++, List.copyOf(lines), tokens);
        queue.add(tokens);
        return submitting;
    }

    /** The submission's file was uploaded and its batch created. */
    public void submitted(Submission submission, String fileId, String batchId, long nowMillis) {
        checkSubmitting(submission);
        submitting = null;
        open.put(batchId, new OpenBatch(submission.sequence(), fileId, batchId, submission.lines(),
                submission.tokens(), nowMillis));
    }

    /**
     * The submission could not be made (a 429 or an error of the files or batches endpoint): its lines wait
     * again, first, and no batch is submitted before {@code retryAtMillis}.
     */
    public void submissionFailed(Submission submission, long retryAtMillis) {
        checkSubmitting(submission);
        submitting = null;
        queue.release(submission.tokens());
        putBackFirst(submission.lines());
        waitUntilMillis = Math.max(waitUntilMillis, retryAtMillis);
    }

    private void checkSubmitting(Submission submission) {
        if (submitting == null || submitting.sequence() != submission.sequence()) {
            throw new IllegalStateException("batch " + submission.sequence() + " is not the one being submitted");
        }
    }

    /**
     * An open batch ended as {@code status} says (completed, expired, cancelled: with the lines of its output
     * and error files). Returns what became of its lines that are final; the others wait for another batch.
     */
    public List<LaneOutcome> ended(String batchId, String status, List<LineResult> results, long nowMillis) {
        OpenBatch batch = close(batchId);
        Map<String, LineResult> byId = new HashMap<>();
        for (LineResult result : results) {
            byId.put(result.customId(), result);
        }
        List<LaneOutcome> outcomes = new ArrayList<>();
        List<LaneLine> again = new ArrayList<>();
        for (LaneLine line : batch.lines()) {
            LineResult result = byId.get(line.customId());
            if (result != null && result.answered()) {
                outcomes.add(LaneOutcome.answered(line, batchId, result));
            } else if (result != null && result.isRefused()) {
                String reason = "the batch API answered the line " + result.status() + result.describe();
                outcomes.add(LaneOutcome.dead(line.unanswered(reason), batchId, result, result.refusalKind(), reason));
            } else if (result != null && result.status() == 429) {
                again.add(line);
            } else {
                retryOrGiveUp(line, batchId, result, LineResult.unansweredReason(status, result), again, outcomes);
            }
        }
        putBackFirst(again);
        splitLines = settings.maxLines();
        queue.batchEnded();
        return outcomes;
    }

    /**
     * An open batch failed: for validation, with the provider's errors ({@code line} numbers count from 1, as
     * OpenAI's do; 0 when an error names none), or for {@code token_limit_exceeded}.
     */
    public List<LaneOutcome> failed(String batchId, List<BatchError> errors, long nowMillis) {
        OpenBatch batch = close(batchId);
        List<LaneOutcome> outcomes = new ArrayList<>();
        BatchError tokenLimit = errors.stream().filter(error -> BatchError.TOKEN_LIMIT_EXCEEDED.equals(error.code()))
                .findFirst().orElse(null);
        if (tokenLimit != null) {
            putBackFirst(batch.lines());
            waitUntilMillis = Math.max(waitUntilMillis, queue.refused(tokenLimit.message(), batch.tokens(), nowMillis));
            return outcomes;
        }
        Map<Integer, BatchError> byLine = new HashMap<>();
        for (BatchError error : errors) {
            if (error.line() > 0) {
                byLine.put(error.line(), error);
            }
        }
        List<LaneLine> again = new ArrayList<>();
        String summary = errors.isEmpty() ? "the batch failed without errors" : errors.get(0).describe();
        for (int i = 0; i < batch.lines().size(); i++) {
            LaneLine line = batch.lines().get(i);
            BatchError error = byLine.get(i + 1);
            if (error != null) {
                String reason = "the batch API refused the line: " + error.describe();
                outcomes.add(LaneOutcome.dead(line.unanswered(reason), batchId, null, ErrorKind.BAD_REQUEST, reason));
            } else if (byLine.isEmpty()) {
                retryOrGiveUp(line, batchId, null, "batch " + batchId + " failed validation: " + summary, again,
                        outcomes);
            } else {
                again.add(line);
            }
        }
        if (byLine.isEmpty() && batch.lines().size() > 1) {
            splitLines = Math.max(1, batch.lines().size() / 2);
        }
        putBackFirst(again);
        return outcomes;
    }

    private OpenBatch close(String batchId) {
        OpenBatch batch = open.remove(batchId);
        if (batch == null) {
            throw new IllegalStateException("batch " + batchId + " is not open");
        }
        orphanLines.values().removeIf(batchId::equals);
        queue.release(batch.tokens());
        return batch;
    }

    private void retryOrGiveUp(LaneLine line, String batchId, LineResult result, String reason, List<LaneLine> again,
            List<LaneOutcome> outcomes) {
        LaneLine unanswered = line.unanswered(reason);
        if (unanswered.attempts() >= maxAttempts) {
            outcomes.add(LaneOutcome.dead(unanswered, batchId, result, LineResult.kindOf(result), reason + " (" + maxAttempts
                    + " batches)"));
        } else {
            again.add(unanswered);
        }
    }

    /** Puts lines back at the front of the waiting ones, in their order: they waited longest. */
    private void putBackFirst(List<LaneLine> lines) {
        if (lines.isEmpty()) {
            return;
        }
        linesCameBack = true;
        LinkedHashMap<String, LaneLine> before = new LinkedHashMap<>(waiting);
        waiting.clear();
        for (LaneLine line : lines) {
            waiting.put(line.customId(), line);
        }
        waiting.putAll(before);
    }

    /**
     * A lane as a checkpoint kept it: its waiting lines (oldest first), the submission cut but perhaps not sent
     * (null when none), its open batches and the sequence its next batch takes.
     */
    public static ModelLane restored(BatchLaneSettings settings, int maxAttempts, long nextSequence,
            List<LaneLine> waiting, Submission submitting, List<OpenBatch> open) {
        ModelLane lane = new ModelLane(settings, maxAttempts);
        lane.nextSequence = nextSequence;
        for (LaneLine line : waiting) {
            lane.waiting.put(line.customId(), line);
        }
        lane.submitting = submitting;
        if (submitting != null) {
            lane.queue.add(submitting.tokens());
        }
        for (OpenBatch batch : open) {
            lane.open.put(batch.batchId(), batch);
            lane.queue.add(batch.tokens());
        }
        return lane;
    }

    public BatchLaneSettings settings() {
        return settings;
    }

    /**
     * A batch of this lane the provider has and the checkpoint does not (sent after it, or by a bounded job's
     * last phase, which sends without one): its lines, by custom_id, are taken from the waiting ones and from
     * the records read again, and no batch is sent with them again.
     */
    public void adoptOrphan(long sequence, String fileId, String batchId, List<String> customIds, long nowMillis) {
        nextSequence = Math.max(nextSequence, sequence + 1);
        List<LaneLine> lines = new ArrayList<>();
        for (String customId : customIds) {
            LaneLine line = waiting.remove(customId);
            if (line != null) {
                lines.add(line);
            } else {
                orphanLines.put(customId, batchId);
            }
        }
        open.put(batchId, new OpenBatch(sequence, fileId, batchId, lines, 0, nowMillis));
    }

    /** Whether an adopted batch still waits for records of its lines to be read again. */
    public boolean awaitsLines(String batchId) {
        return orphanLines.containsValue(batchId);
    }

    /** The sequence the next batch takes. */
    public long nextSequence() {
        return nextSequence;
    }

    /** The submission cut and not yet sent or given back; null when none. */
    public Submission submitting() {
        return submitting;
    }

    /** The waiting lines, oldest first. */
    public List<LaneLine> waiting() {
        return List.copyOf(waiting.values());
    }

    public int waitingLines() {
        return waiting.size();
    }

    /** Whether the lane holds any line: waiting, being submitted or in an open batch. */
    public boolean isBusy() {
        return !waiting.isEmpty() || submitting != null || !open.isEmpty();
    }

    public int openBatches() {
        return open.size();
    }

    public long enqueuedTokens() {
        return queue.enqueued();
    }

    /** The open batches, oldest first. */
    public List<OpenBatch> open() {
        return List.copyOf(open.values());
    }

    /** When the oldest waiting line came; -1 when none waits. */
    public long oldestWaitingSinceMillis() {
        return waiting.isEmpty() ? -1 : waiting.values().iterator().next().sinceMillis();
    }
}
