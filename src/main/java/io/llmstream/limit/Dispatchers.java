package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import org.apache.flink.api.common.JobID;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The {@link ModelDispatcher}s of each running job in this JVM, found by the pacer and the call stage of
 * the same parallel instance. Leases are counted per job; the last one out removes the job's
 * dispatchers, and the dispatch thread stops when no job is left.
 */
public final class Dispatchers {
    private static final Map<JobID, Job> JOBS = new HashMap<>();
    private static ScheduledExecutorService executor;

    private Dispatchers() {}

    /** A lease on the dispatchers of a job; close it when the function closes. */
    public static synchronized Lease acquire(JobID job, LlmStreamConfig config) {
        if (executor == null) {
            executor = DispatchTimer.newExecutor();
        }
        DispatchTimer timer = DispatchTimer.system(executor);
        Job dispatchers = JOBS.computeIfAbsent(job, id -> new Job(config, timer));
        dispatchers.leases++;
        return new Lease(job, dispatchers);
    }

    private static synchronized void release(JobID job, Job dispatchers) {
        if (--dispatchers.leases == 0) {
            JOBS.remove(job);
            if (JOBS.isEmpty()) {
                executor.shutdownNow();
                executor = null;
            }
        }
    }

    /** Access to one job's dispatchers. */
    public static final class Lease implements AutoCloseable {
        private final JobID job;
        private final Job dispatchers;
        private boolean closed;

        private Lease(JobID job, Job dispatchers) {
            this.job = job;
            this.dispatchers = dispatchers;
        }

        /** The dispatcher of a configured model. */
        public ModelDispatcher forModel(String model) {
            return dispatchers.byModel.get(model);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(job, dispatchers);
            }
        }
    }

    private static final class Job {
        final Map<String, ModelDispatcher> byModel = new HashMap<>();
        int leases;

        Job(LlmStreamConfig config, DispatchTimer timer) {
            for (ModelSettings model : config.models().values()) {
                byModel.put(model.name(), new ModelDispatcher(model, config.endpointOf(model.name()),
                        config.call().breaker(), timer));
            }
        }
    }
}
