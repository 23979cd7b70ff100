package io.llmstream.local.bench;

import io.llmstream.local.llama.LlamaServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Watches a llama-server while a run lasts, every {@value #INTERVAL_MILLIS} ms: how many of its slots are busy
 * ({@code llamacpp:requests_processing}), how many requests wait for one ({@code llamacpp:requests_deferred})
 * and its CPU time, beside this JVM's (the client, or the job with its broker). Whether a client keeps the server
 * busy shows here, apart from what the client measures, and so does a server that waits for a core.
 * Samples can miss a peak, so the deepest queue seen is at most the deepest there was.
 */
final class ServerLoad implements AutoCloseable {
    private static final long INTERVAL_MILLIS = 100;

    /** One look at the server. */
    private record Sample(long nanos, double processing, double deferred, long cpuNanos, long jvmCpuNanos) {}

    /**
     * What the samples showed.
     *
     * @param busySlots busy slots, averaged over the samples of a stretch
     * @param deepestQueue the most requests seen waiting for a slot, over the whole watch
     * @param cpuShare the server's CPU time over the stretch's wall time (1 = one core)
     * @param jvmCpuShare this JVM's CPU time over the stretch's wall time
     * @param inServer how many samples of the stretch saw how many requests in the server, in slots or waiting
     * @param busyBySecond busy slots averaged over each second of the stretch, in order
     */
    record Summary(double busySlots, long deepestQueue, double cpuShare, double jvmCpuShare,
            SortedMap<Integer, Integer> inServer, List<Double> busyBySecond) {
        static final Summary NONE = new Summary(-1, -1, -1, -1, new TreeMap<>(), List.of());

        /** The share of the samples at each number of requests in the server, such as "1: 40%, 2: 60%". */
        String inServerShares() {
            int samples = inServer.values().stream().mapToInt(Integer::intValue).sum();
            StringJoiner shares = new StringJoiner(", ");
            inServer.forEach((requests, count) -> shares.add(String.format("%d: %.0f%%", requests,
                    100.0 * count / samples)));
            return shares.toString();
        }
    }

    private final LlamaServer server;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String failure;

    private ServerLoad(LlamaServer server) {
        this.server = server;
        this.thread = new Thread(this::watch, "llama-server-load");
        thread.setDaemon(true);
    }

    static ServerLoad watch(LlamaServer server) {
        ServerLoad load = new ServerLoad(server);
        load.thread.start();
        return load;
    }

    private void watch() {
        while (running) {
            try {
                Sample sample = new Sample(System.nanoTime(), server.metric("llamacpp:requests_processing"),
                        server.metric("llamacpp:requests_deferred"), server.cpuTime().toNanos(), jvmCpuNanos());
                synchronized (samples) {
                    samples.add(sample);
                }
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                failure = e.toString();
                return;
            }
        }
    }

    /** Busy slots and CPU between two instants of {@link System#nanoTime()}; the queue over the whole watch. */
    Summary summary(long fromNanos, long toNanos) {
        List<Sample> all;
        synchronized (samples) {
            all = new ArrayList<>(samples);
        }
        if (failure != null) {
            throw new IllegalStateException("cannot read the load of " + server + ": " + failure);
        }
        List<Sample> stretch = all.stream().filter(s -> s.nanos() >= fromNanos && s.nanos() <= toNanos).toList();
        if (stretch.size() < 2) {
            return Summary.NONE;
        }
        Sample first = stretch.get(0);
        Sample last = stretch.get(stretch.size() - 1);
        SortedMap<Integer, Integer> inServer = new TreeMap<>();
        List<Double> busyBySecond = new ArrayList<>();
        double busy = 0;
        int inSecond = 0;
        for (Sample sample : stretch) {
            inServer.merge((int) (sample.processing() + sample.deferred()), 1, Integer::sum);
            int second = (int) ((sample.nanos() - first.nanos()) / 1_000_000_000L);
            if (second > busyBySecond.size()) {
                busyBySecond.add(busy / inSecond);
                busy = 0;
                inSecond = 0;
            }
            busy += sample.processing();
            inSecond++;
        }
        busyBySecond.add(busy / inSecond);
        return new Summary(stretch.stream().mapToDouble(Sample::processing).average().orElse(-1),
                (long) all.stream().mapToDouble(Sample::deferred).max().orElse(-1),
                (last.cpuNanos() - first.cpuNanos()) / (double) (last.nanos() - first.nanos()),
                (last.jvmCpuNanos() - first.jvmCpuNanos()) / (double) (last.nanos() - first.nanos()), inServer,
                busyBySecond);
    }

    private static long jvmCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }
}
