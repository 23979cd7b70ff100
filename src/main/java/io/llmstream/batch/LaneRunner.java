package io.llmstream.batch;

import io.llmstream.config.ModelSettings;
import io.llmstream.record.LlmRequest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's batch lane at work: its {@link ModelLane}'s decisions carried out against the provider's Batch API.
 *
 * <p>Exactly once across restarts: a batch is cut (its lines leave the waiting ones) on the task's thread, kept by
 * the next checkpoint, and uploaded and created only once that checkpoint completed; its metadata carries the
 * lane's id and the batch's sequence. After a restore the lane first lists its batches at the provider: the cut
 * the checkpoint holds is adopted when the provider has it, else sent; a batch of a later sequence (sent by a
 * bounded job's last phase, which cannot wait for a checkpoint) is adopted with the custom_ids of its input file,
 * and the records read again join it instead of a new batch. No line is sent twice because of a restart.
 *
 * <p>Every method runs on the task's thread; the API's answers come back as actions queued on {@code arrivals},
 * which the operator runs on that thread too. Not thread-safe.
 */
final class LaneRunner {
    /** The wait after a failed call of the files or batches endpoint that gave no Retry-After. */
    static final long RETRY_MILLIS = 5_000;
    /** How long an adopted batch waits for its records to be read again before it is polled anyway. */
    static final long ORPHAN_WAIT_MILLIS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(LaneRunner.class);

    private final ModelSettings model;
    private final String laneId;
    private final ModelLane lane;
    private final BatchApi api;
    private final Queue<Runnable> arrivals;
    private final LaneBatches batches;
    /** The checkpoint that holds the cut submission; -1 until one does. */
    private long cutCheckpoint = -1;
    /**
     * The lane came from a checkpoint: until the provider's batches of the lane were looked at, its cut may have
     * been sent already, and batches sent after the checkpoint (orphans) hold lines that will be read again.
     */
    private boolean recovering;
    private boolean sending;
    /** No look-up of a restored cut before this time (after one that failed). */
    private long resolveAtMillis;
    private final Map<String, Long> nextPollAt = new HashMap<>();
    private final Set<String> polling = new HashSet<>();
    private final Set<String> warnedLate = new HashSet<>();
    private long submittedLines;
    private boolean draining;
    private long recoveredAtMillis;

    LaneRunner(ModelSettings model, String laneId, ModelLane lane, BatchApi api, Queue<Runnable> arrivals,
            boolean restored) {
        this.model = model;
        this.laneId = laneId;
        this.lane = lane;
        this.api = api;
        this.arrivals = arrivals;
        this.batches = new LaneBatches(api, laneId);
        this.recovering = restored;
    }

    String laneId() {
        return laneId;
    }

    ModelLane lane() {
        return lane;
    }

    long submittedLines() {
        return submittedLines;
    }

    /** Oldest open batch's age in ms at {@code nowMillis}; 0 when none is open. */
    long oldestOpenBatchAgeMillis(long nowMillis) {
        long oldest = 0;
        for (OpenBatch batch : lane.open()) {
            oldest = Math.max(oldest, nowMillis - batch.submittedAtMillis());
        }
        return oldest;
    }

    /** Takes a record of the lane; false when the lane holds it already. */
    boolean add(LlmRequest request, long nowMillis) {
        long tokens = model.isEmbedding() ? request.promptTokens() : request.tokenCost(model.defaultMaxTokens());
        return lane.add(request, tokens, nowMillis);
    }

    /** Cuts a batch when one is due, resolves a restored cut, and polls the open batches that are due. */
    void tick(long nowMillis, Consumer<LaneOutcome> out) {
        if (recovering) {
            if (!sending && nowMillis >= resolveAtMillis) {
                recover();
            }
            return;
        }
        if (lane.submitting() == null) {
            List<LaneOutcome> dead = new ArrayList<>();
            ModelLane.Submission cut = lane.nextSubmission(nowMillis, dead, draining);
            dead.forEach(out);
            if (cut != null) {
                cutCheckpoint = -1;
            }
        }
        if (draining && lane.submitting() != null && !sending) {
            // A bounded job's input ended: no checkpoint comes while the task waits for its lanes. A failure from
            // here on finds the batch by its metadata after the restore (an orphan) and sends no line twice.
            send(lane.submitting());
        }
        for (OpenBatch batch : lane.open()) {
            String id = batch.batchId();
            if (!polling.contains(id) && nowMillis >= nextPollAt.getOrDefault(id, 0L)
                    && (!lane.awaitsLines(id) || nowMillis - recoveredAtMillis > ORPHAN_WAIT_MILLIS)) {
                poll(batch, out);
            }
            warnIfLate(batch, nowMillis);
        }
    }

    /**
     * The input ended (a bounded job): batches go at once, without waiting for more lines or for a checkpoint,
     * as none comes while the task waits for its lanes.
     */
    void drain() {
        draining = true;
    }

    /** Whether the lane still holds lines or waits for the API. */
    boolean isBusy() {
        return lane.isBusy() || sending || !polling.isEmpty();
    }

    /** A checkpoint is taken now: it holds the cut submission, if any. */
    void snapshotting(long checkpointId) {
        if (lane.submitting() != null && cutCheckpoint < 0 && !recovering) {
            cutCheckpoint = checkpointId;
        }
    }

    /** A checkpoint completed: a cut it holds may be sent now. */
    void checkpointed(long checkpointId) {
        ModelLane.Submission cut = lane.submitting();
        if (cut != null && !sending && !recovering && cutCheckpoint >= 0 && cutCheckpoint <= checkpointId) {
            send(cut);
        }
    }

    private void send(ModelLane.Submission cut) {
        sending = true;
        byte[] file = jsonl(cut);
        String[] fileId = new String[1];
        api.upload(laneId.replace('/', '-') + "-" + cut.sequence() + ".jsonl", file)
                .thenCompose(id -> {
                    fileId[0] = id;
                    return api.create(id, BatchLine.url(model), lane.settings().windowText(),
                            batches.metadata(cut.sequence()));
                })
                .whenComplete((status, error) -> arrivals.add(() -> sent(cut, fileId[0], status, error)));
    }

    private void sent(ModelLane.Submission cut, String fileId, BatchStatus status, Throwable error) {
        sending = false;
        long now = System.currentTimeMillis();
        if (error == null) {
            opened(cut, status.id(), fileId, now, true);
            return;
        }
        Throwable cause = unwrap(error);
        if (fileId == null || refusedForSure(cause)) {
            // No batch was created: the lines wait again.
            LOG.warn("Batch lane of model {}: could not submit batch {} ({} lines), trying again later: {}",
                    model.name(), cut.sequence(), cut.lines().size(), describe(cause));
            lane.submissionFailed(cut, now + retryMillis(cause));
            return;
        }
        // The create call may have reached the provider: look before sending the lines again.
        LOG.warn("Batch lane of model {}: creating batch {} failed ({}); looking it up before trying again",
                model.name(), cut.sequence(), describe(cause));
        resolve(cut);
    }

    /** After a create that may have reached the provider: the cut is adopted when found, else given back. */
    private void resolve(ModelLane.Submission cut) {
        sending = true;
        batches.list().whenComplete((found, error) -> arrivals.add(() -> {
            sending = false;
            long now = System.currentTimeMillis();
            BatchStatus batch = error == null ? LaneBatches.find(found, cut.sequence()) : null;
            if (batch != null) {
                opened(cut, batch.id(), batch.inputFileId(), now, true);
            } else {
                if (error != null) {
                    LOG.warn("Batch lane of model {}: could not look batch {} up: {}; its lines wait again",
                            model.name(), cut.sequence(), describe(unwrap(error)));
                }
                lane.submissionFailed(cut, now + RETRY_MILLIS);
            }
        }));
    }

    /**
     * After a restore: the lane's batches at the provider that the checkpoint does not hold. The cut it holds is
     * adopted when sent already (else sent now); batches of later sequences (orphans) are adopted with the
     * custom_ids of their input files, so the records read again join them instead of a new batch.
     */
    private void recover() {
        sending = true;
        long restoredNext = lane.nextSequence();
        batches.list().thenCompose(found -> {
            List<BatchStatus> orphans = new ArrayList<>();
            for (BatchStatus batch : found) {
                if (LaneBatches.sequenceOf(batch) >= restoredNext) {
                    orphans.add(batch);
                }
            }
            return batches.customIds(orphans).thenApply(orphanFiles -> new Recovered(found, orphanFiles));
        }).whenComplete((recovered, error) -> arrivals.add(() -> recovered(recovered, error)));
    }

    private record Recovered(List<BatchStatus> batches, Map<BatchStatus, List<String>> orphans) {}

    private void recovered(Recovered recovered, Throwable error) {
        sending = false;
        long now = System.currentTimeMillis();
        if (error != null) {
            LOG.warn("Batch lane of model {}: could not list its batches after the restore: {}; trying again",
                    model.name(), describe(unwrap(error)));
            resolveAtMillis = now + retryMillis(unwrap(error));
            return;
        }
        recovering = false;
        recoveredAtMillis = now;
        ModelLane.Submission cut = lane.submitting();
        if (cut != null) {
            BatchStatus found = LaneBatches.find(recovered.batches(), cut.sequence());
            if (found != null) {
                LOG.info("Batch lane of model {}: batch {} ({} lines) was submitted before the restart as {}; "
                        + "polling it", model.name(), cut.sequence(), cut.lines().size(), found.id());
                opened(cut, found.id(), found.inputFileId(), now, false);
            } else {
                send(cut);
            }
        }
        for (Map.Entry<BatchStatus, List<String>> orphan : recovered.orphans().entrySet()) {
            BatchStatus batch = orphan.getKey();
            LOG.info("Batch lane of model {}: batch {} ({} lines) was submitted after the checkpoint as {}; its "
                    + "records join it as they are read again", model.name(), LaneBatches.sequenceOf(batch),
                    orphan.getValue().size(), batch.id());
            lane.adoptOrphan(LaneBatches.sequenceOf(batch), batch.inputFileId(), batch.id(), orphan.getValue(), now);
            nextPollAt.put(batch.id(), now + lane.settings().poll().toMillis());
        }
    }

    private void opened(ModelLane.Submission cut, String batchId, String fileId, long now, boolean justSent) {
        lane.submitted(cut, fileId, batchId, now);
        submittedLines += cut.lines().size();
        nextPollAt.put(batchId, now + lane.settings().poll().toMillis());
        if (justSent) {
            LOG.info("Batch lane of model {}: submitted batch {} as {} ({} lines, about {} tokens)", model.name(),
                    cut.sequence(), batchId, cut.lines().size(), cut.tokens());
        }
    }

    private void poll(OpenBatch batch, Consumer<LaneOutcome> out) {
        String id = batch.batchId();
        polling.add(id);
        api.get(id).thenCompose(status -> {
            if (!status.hasEnded() || "failed".equals(status.status())) {
                return CompletableFuture.completedFuture(new Polled(status, List.of()));
            }
            return lines(status.outputFileId()).thenCombine(lines(status.errorFileId()), (output, errors) -> {
                List<String> all = new ArrayList<>(output);
                all.addAll(errors);
                return new Polled(status, all);
            });
        }).whenComplete((polled, error) -> arrivals.add(() -> polled(batch, polled, error, out)));
    }

    private CompletableFuture<List<String>> lines(String fileId) {
        return fileId == null ? CompletableFuture.completedFuture(List.of()) : api.lines(fileId);
    }

    private record Polled(BatchStatus status, List<String> lines) {}

    private void polled(OpenBatch batch, Polled polled, Throwable error, Consumer<LaneOutcome> out) {
        String id = batch.batchId();
        polling.remove(id);
        long now = System.currentTimeMillis();
        Throwable cause = error == null ? null : unwrap(error);
        if (cause instanceof BatchApiException gone && gone.status() == 404) {
            LOG.warn("Batch lane of model {}: batch {} is gone ({}); its {} lines are asked again", model.name(), id,
                    describe(cause), batch.lines().size());
            finish(id, lane.ended(id, "gone", List.of(), now), out);
            return;
        }
        if (cause != null) {
            LOG.warn("Batch lane of model {}: could not poll batch {}: {}", model.name(), id, describe(cause));
            nextPollAt.put(id, now + Math.max(lane.settings().poll().toMillis(), retryMillis(cause)));
            return;
        }
        BatchStatus status = polled.status();
        List<LaneOutcome> outcomes;
        if ("failed".equals(status.status())) {
            LOG.warn("Batch lane of model {}: batch {} failed: {}", model.name(), id,
                    status.errors().isEmpty() ? "no errors given" : status.errors().get(0).describe());
            outcomes = lane.failed(id, status.errors(), now);
        } else if (status.hasEnded()) {
            List<LineResult> results = new ArrayList<>();
            for (String line : polled.lines()) {
                try {
                    LineResult result = LineResult.parse(line);
                    if (result != null) {
                        results.add(result);
                    }
                } catch (IllegalArgumentException e) {
                    LOG.warn("Batch lane of model {}: batch {} has a result line that is not one ({}); its line "
                            + "counts as unanswered", model.name(), id, e.getMessage());
                }
            }
            outcomes = lane.ended(id, status.status(), results, now);
            long answered = outcomes.stream().filter(LaneOutcome::isAnswered).count();
            LOG.info("Batch lane of model {}: batch {} {}: of {} lines {} answered, {} dead letters, {} asked again",
                    model.name(), id, status.status(), batch.lines().size(), answered, outcomes.size() - answered,
                    batch.lines().size() - outcomes.size());
        } else {
            nextPollAt.put(id, now + lane.settings().poll().toMillis());
            return;
        }
        finish(id, outcomes, out);
    }

    private void finish(String batchId, List<LaneOutcome> outcomes, Consumer<LaneOutcome> out) {
        nextPollAt.remove(batchId);
        warnedLate.remove(batchId);
        outcomes.forEach(out);
    }

    private void warnIfLate(OpenBatch batch, long nowMillis) {
        long late = lane.settings().window().toMillis() + lane.settings().poll().toMillis();
        if (nowMillis - batch.submittedAtMillis() > late && warnedLate.add(batch.batchId())) {
            LOG.warn("Batch lane of model {}: batch {} ({} lines) is still open {} min after its submission, past "
                    + "its completion window of {}; polling on", model.name(), batch.batchId(), batch.lines().size(),
                    (nowMillis - batch.submittedAtMillis()) / 60_000, lane.settings().windowText());
        }
    }

    private byte[] jsonl(ModelLane.Submission cut) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        for (LaneLine line : cut.lines()) {
            file.writeBytes(BatchLine.of(line.request(), model));
            file.write('\n');
        }
        return file.toByteArray();
    }

    private static boolean refusedForSure(Throwable cause) {
        return cause instanceof BatchApiException refused && refused.status() >= 400 && refused.status() < 500
                && refused.status() != 408;
    }

    private static long retryMillis(Throwable cause) {
        if (cause instanceof BatchApiException refused && refused.retryAfterMillis() > 0) {
            return refused.retryAfterMillis();
        }
        return RETRY_MILLIS;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static String describe(Throwable cause) {
        return cause instanceof BatchApiException ? cause.getMessage()
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
