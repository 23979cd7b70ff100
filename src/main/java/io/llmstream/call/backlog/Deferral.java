package io.llmstream.call.backlog;

import org.apache.flink.runtime.state.KeyGroupRange;

import java.util.Arrays;

/**
 * One tenant's records of one partition that the call stage read and left in Kafka, to read them again when
 * the tenant has room: for each run of key groups (segment), its records from the segment's next offset up
 * to {@link #until}. A segment covers this instance's key groups when the deferral begins; after a rescale an
 * instance keeps the parts of every instance's deferrals that fall in its key groups. A Flink POJO, kept in
 * the operator's union list state.
 */
public final class Deferral {
    public String topic;
    public int partition;
    /** The tenant as the read-ahead shares it: a listed tenant, or "default" for every other. */
    public String tenant;
    /** The last offset left. */
    public long until;
    /** How many records are left; an estimate after a rescale. */
    public long count;
    public int[] firstKeyGroups;
    public int[] lastKeyGroups;
    /** Per segment, the first offset not yet taken back or passed. */
    public long[] nexts;

    public Deferral() {}

    /** A deferral that begins with the record at {@code offset}, for the key groups {@code first}..{@code last}. */
    static Deferral beginning(String topic, int partition, String tenant, int first, int last, long offset) {
        Deferral deferral = new Deferral();
        deferral.topic = topic;
        deferral.partition = partition;
        deferral.tenant = tenant;
        deferral.until = offset;
        deferral.count = 1;
        deferral.firstKeyGroups = new int[] {first};
        deferral.lastKeyGroups = new int[] {last};
        deferral.nexts = new long[] {offset};
        return deferral;
    }

    /** The key of the deferrals of one tenant in one partition. */
    static String key(String topic, int partition, String tenant) {
        return topic + '\u0000' + partition + '\u0000' + tenant;
    }

    String key() {
        return key(topic, partition, tenant);
    }

    /** Whether the records of the key group are left here from some offset on. */
    boolean covers(int keyGroup) {
        return segmentOf(keyGroup) >= 0;
    }

    /** Whether the record of the key group at the offset is left and not yet taken back. */
    boolean holds(int keyGroup, long offset) {
        int segment = segmentOf(keyGroup);
        return segment >= 0 && offset >= nexts[segment] && offset <= until;
    }

    /** A later record of a key group it covers is left too. */
    void leave(long offset) {
        until = Math.max(until, offset);
        count++;
    }

    /** Leaves the records of the key groups {@code first}..{@code last} from {@code offset} on too. */
    void leaveFrom(int first, int last, long offset) {
        int n = nexts.length;
        firstKeyGroups = Arrays.copyOf(firstKeyGroups, n + 1);
        lastKeyGroups = Arrays.copyOf(lastKeyGroups, n + 1);
        nexts = Arrays.copyOf(nexts, n + 1);
        firstKeyGroups[n] = first;
        lastKeyGroups[n] = last;
        nexts[n] = offset;
        leave(offset);
    }

    /** The offset to read again from: the earliest next offset of a segment. */
    long readFrom() {
        long from = Long.MAX_VALUE;
        for (long next : nexts) {
            from = Math.min(from, next);
        }
        return from;
    }

    /** Every record up to the offset has been taken back or is not this deferral's. */
    void passed(long offset) {
        for (int i = 0; i < nexts.length; i++) {
            nexts[i] = Math.max(nexts[i], offset + 1);
        }
    }

    /** Whether every record left has been taken back. */
    boolean done() {
        return readFrom() > until;
    }

    /**
     * The run of key groups around {@code keyGroup}, within {@code range}, that no segment covers: where a new
     * segment may begin. Call only for a key group no segment covers.
     */
    int[] gapAround(int keyGroup, KeyGroupRange range) {
        int first = range.getStartKeyGroup();
        int last = range.getEndKeyGroup();
        for (int i = 0; i < nexts.length; i++) {
            if (lastKeyGroups[i] < keyGroup) {
                first = Math.max(first, lastKeyGroups[i] + 1);
            } else if (firstKeyGroups[i] > keyGroup) {
                last = Math.min(last, firstKeyGroups[i] - 1);
            }
        }
        return new int[] {first, last};
    }

    /** The part of this deferral in the key groups of {@code range}; null if none. */
    Deferral within(KeyGroupRange range) {
        int kept = 0;
        int covered = 0;
        int[] firsts = new int[nexts.length];
        int[] lasts = new int[nexts.length];
        long[] nextsKept = new long[nexts.length];
        for (int i = 0; i < nexts.length; i++) {
            covered += lastKeyGroups[i] - firstKeyGroups[i] + 1;
            int first = Math.max(firstKeyGroups[i], range.getStartKeyGroup());
            int last = Math.min(lastKeyGroups[i], range.getEndKeyGroup());
            if (first <= last) {
                firsts[kept] = first;
                lasts[kept] = last;
                nextsKept[kept] = nexts[i];
                kept++;
            }
        }
        if (kept == 0) {
            return null;
        }
        Deferral part = new Deferral();
        part.topic = topic;
        part.partition = partition;
        part.tenant = tenant;
        part.until = until;
        part.firstKeyGroups = Arrays.copyOf(firsts, kept);
        part.lastKeyGroups = Arrays.copyOf(lasts, kept);
        part.nexts = Arrays.copyOf(nextsKept, kept);
        int keptGroups = 0;
        for (int i = 0; i < kept; i++) {
            keptGroups += part.lastKeyGroups[i] - part.firstKeyGroups[i] + 1;
        }
        part.count = keptGroups == covered ? count : Math.round((double) count * keptGroups / covered);
        return part;
    }

    /** A copy for a checkpoint. */
    Deferral copy() {
        Deferral copy = new Deferral();
        copy.topic = topic;
        copy.partition = partition;
        copy.tenant = tenant;
        copy.until = until;
        copy.count = count;
        copy.firstKeyGroups = firstKeyGroups.clone();
        copy.lastKeyGroups = lastKeyGroups.clone();
        copy.nexts = nexts.clone();
        return copy;
    }

    private int segmentOf(int keyGroup) {
        for (int i = 0; i < nexts.length; i++) {
            if (keyGroup >= firstKeyGroups[i] && keyGroup <= lastKeyGroups[i]) {
                return i;
            }
        }
        return -1;
    }
}
