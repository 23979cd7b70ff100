package io.llmstream.batch;

import io.llmstream.config.BatchLaneSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a checkpoint keeps of the batch lanes, as flat records Flink serializes without Kryo: one
 * {@link LaneMark} per lane, one {@link BatchMark} per open batch (and for the submission cut but perhaps not
 * sent), one {@link LineMark} per line. Kept as union list state: after a restore every instance sees every
 * lane and keeps those of the models it now reads, so a model's lane is whole wherever it lands.
 */
public final class LaneCheckpoint {
    /** A line waits for a batch; it is in none. */
    static final long WAITING = -1;

    private LaneCheckpoint() {}

    /** A lane: its model, its id in the provider's batch metadata, and the sequence its next batch takes. */
    public record LaneMark(String model, String laneId, long nextSequence) {}

    /**
     * A batch of a lane: open (with its file and batch ids), or the submission cut before the checkpoint, which
     * may have been sent after it (file and batch ids null: the lane looks it up by its metadata before sending).
     */
    public record BatchMark(String model, long sequence, String fileId, String batchId, long tokens,
                            long submittedAtMillis) {

        boolean isCut() {
            return batchId == null;
        }
    }

    /** A line of a lane: waiting ({@link #WAITING}), or in the batch of that sequence. */
    public record LineMark(String model, long sequence, LaneLine line) {}

    /** Adds what a lane holds now to the three lists. */
    static void write(String model, String laneId, ModelLane lane, List<LaneMark> lanes, List<BatchMark> batches,
            List<LineMark> lines) {
        lanes.add(new LaneMark(model, laneId, lane.nextSequence()));
        for (LaneLine line : lane.waiting()) {
            lines.add(new LineMark(model, WAITING, line));
        }
        ModelLane.Submission cut = lane.submitting();
        if (cut != null) {
            batches.add(new BatchMark(model, cut.sequence(), null, null, cut.tokens(), -1));
            for (LaneLine line : cut.lines()) {
                lines.add(new LineMark(model, cut.sequence(), line));
            }
        }
        for (OpenBatch batch : lane.open()) {
            batches.add(new BatchMark(model, batch.sequence(), batch.fileId(), batch.batchId(), batch.tokens(),
                    batch.submittedAtMillis()));
            for (LaneLine line : batch.lines()) {
                lines.add(new LineMark(model, batch.sequence(), line));
            }
        }
    }

    /** The lane of {@code mark} rebuilt from the batches and lines kept with it (every lane's are given). */
    static ModelLane read(LaneMark mark, Iterable<BatchMark> batches, Iterable<LineMark> lines,
            BatchLaneSettings settings, int maxAttempts) {
        List<LineMark> own = new ArrayList<>();
        for (LineMark line : lines) {
            if (line.model().equals(mark.model())) {
                own.add(line);
            }
        }
        // In the order written: a batch's lines as in its file (the provider's errors name lines by number).
        List<LaneLine> waiting = new ArrayList<>();
        for (LineMark line : own) {
            if (line.sequence() == WAITING) {
                waiting.add(line.line());
            }
        }
        ModelLane.Submission cut = null;
        List<OpenBatch> open = new ArrayList<>();
        for (BatchMark batch : batches) {
            if (!batch.model().equals(mark.model())) {
                continue;
            }
            List<LaneLine> inBatch = new ArrayList<>();
            for (LineMark line : own) {
                if (line.sequence() == batch.sequence()) {
                    inBatch.add(line.line());
                }
            }
            if (batch.isCut()) {
                cut = new ModelLane.Submission(batch.sequence(), List.copyOf(inBatch), batch.tokens());
            } else {
                open.add(new OpenBatch(batch.sequence(), batch.fileId(), batch.batchId(), List.copyOf(inBatch),
                        batch.tokens(), batch.submittedAtMillis()));
            }
        }
        open.sort(Comparator.comparingLong(OpenBatch::sequence));
        return ModelLane.restored(settings, maxAttempts, mark.nextSequence(), waiting, cut, open);
    }
}
