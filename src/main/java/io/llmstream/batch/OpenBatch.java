package io.llmstream.batch;

import java.io.Serializable;
import java.util.List;

/**
 * A batch the lane submitted and has not read back yet: checkpointed, so that after a restore the job polls it
 * again instead of submitting its lines once more.
 *
 * @param sequence the lane's number for it, also in the batch's metadata, so a batch submitted after the last
 *        checkpoint is found again after a restore
 * @param fileId the uploaded input file
 * @param batchId the provider's id of the batch
 * @param lines its lines, by custom_id
 * @param tokens the lines' tokens, counted against the enqueued-token limit while it is open
 * @param submittedAtMillis when it was submitted
 */
public record OpenBatch(long sequence, String fileId, String batchId, List<LaneLine> lines, long tokens,
                        long submittedAtMillis) implements Serializable {}
