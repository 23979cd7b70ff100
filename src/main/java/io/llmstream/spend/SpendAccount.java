package io.llmstream.spend;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * How much of each tenant's day is out with each call-stage instance (given minus given back; spent money stays
 * out), so that an instance restarted on its own from a checkpoint (Flink's region failover) is set back to what
 * it held at that checkpoint while the others keep theirs. Money whose holder is not known (restored after a
 * change of parallelism) counts as out with nobody in particular. Not thread-safe.
 */
final class SpendAccount {
    private static final int STATE_VERSION = 2;

    /** One day's money out: per instance, and with nobody in particular. */
    private static final class Out {
        long[] bySubtask;
        long unattributed;

        Out(int subtasks) {
            bySubtask = new long[subtasks];
        }

        long total() {
            long total = unattributed;
            for (long held : bySubtask) {
                total += held;
            }
            return total;
        }
    }

    private final Map<TenantDay, Out> out = new HashMap<>();
    private int subtasks;

    SpendAccount(int subtasks) {
        this.subtasks = subtasks;
    }

    /** {@code nanos} more out with an instance (less, when negative: given back). */
    void add(TenantDay key, int subtask, long nanos) {
        out.computeIfAbsent(key, day -> new Out(subtasks)).bySubtask[subtask] += nanos;
    }

    long total(TenantDay key) {
        Out day = out.get(key);
        return day == null ? 0 : day.total();
    }

    void forgetDaysBefore(long day) {
        out.keySet().removeIf(key -> key.day() < day);
    }

    byte[] snapshot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(bytes)) {
            data.writeInt(STATE_VERSION);
            data.writeInt(subtasks);
            data.writeInt(out.size());
            for (Map.Entry<TenantDay, Out> entry : out.entrySet()) {
                data.writeUTF(entry.getKey().tenant());
                data.writeLong(entry.getKey().day());
                data.writeLong(entry.getValue().unattributed);
                for (long held : entry.getValue().bySubtask) {
                    data.writeLong(held);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Back to a snapshot (null: empty), for {@code parallelism} instances. */
    void restore(byte[] state, int parallelism) {
        out.clear();
        subtasks = parallelism;
        read(state).forEach((key, day) -> {
            if (day.bySubtask.length == parallelism) {
                out.put(key, day);
            } else {
                Out unknown = new Out(parallelism);
                unknown.unattributed = day.total();
                out.put(key, unknown);
            }
        });
    }

    /** One instance back to what it held at a snapshot (null: nothing, it restarts without state). */
    void resetSubtask(int subtask, byte[] state) {
        Map<TenantDay, Out> then = read(state);
        for (Map.Entry<TenantDay, Out> entry : out.entrySet()) {
            Out before = then.get(entry.getKey());
            entry.getValue().bySubtask[subtask] = before == null || before.bySubtask.length != subtasks ? 0
                    : before.bySubtask[subtask];
        }
    }

    private static Map<TenantDay, Out> read(byte[] state) {
        Map<TenantDay, Out> days = new HashMap<>();
        if (state == null) {
            return days;
        }
        try (DataInputStream data = new DataInputStream(new ByteArrayInputStream(state))) {
            int version = data.readInt();
            if (version != STATE_VERSION) {
                throw new IllegalStateException("unknown spend coordinator state version " + version);
            }
            int width = data.readInt();
            for (int i = data.readInt(); i > 0; i--) {
                TenantDay key = new TenantDay(data.readUTF(), data.readLong());
                Out day = new Out(width);
                day.unattributed = data.readLong();
                for (int subtask = 0; subtask < width; subtask++) {
                    day.bySubtask[subtask] = data.readLong();
                }
                days.put(key, day);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return days;
    }
}
