package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import org.apache.flink.api.common.JobID;

import java.util.HashMap;
import java.util.Map;

/**
 * The live {@link ModelBudget}s of each running job in this JVM. Keying by model sends all of a
 * model's requests through one parallel instance of the pacer and, chained to it, of the call stage,
 * so both find the same budget here. Leases are counted per job; the last one out removes the job's
 * budgets.
 */
public final class ModelBudgets {
    private static final Map<JobID, Budgets> JOBS = new HashMap<>();

    private ModelBudgets() {}

    /** A lease on the budgets of a job; close it when the function closes. */
    public static synchronized Lease acquire(JobID job, LlmStreamConfig config) {
        Budgets budgets = JOBS.computeIfAbsent(job, id -> new Budgets(config));
        budgets.leases++;
        return new Lease(job, budgets);
    }

    private static synchronized void release(JobID job, Budgets budgets) {
        if (--budgets.leases == 0) {
            JOBS.remove(job);
        }
    }

    /** Access to one job's budgets. */
    public static final class Lease implements AutoCloseable {
        private final JobID job;
        private final Budgets budgets;
        private boolean closed;

        private Lease(JobID job, Budgets budgets) {
            this.job = job;
            this.budgets = budgets;
        }

        /** The budget of a configured model. */
        public ModelBudget forModel(String model) {
            return budgets.byModel.get(model);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(job, budgets);
            }
        }
    }

    private static final class Budgets {
        final Map<String, ModelBudget> byModel = new HashMap<>();
        int leases;

        Budgets(LlmStreamConfig config) {
            for (ModelSettings model : config.models().values()) {
                byModel.put(model.name(), new ModelBudget(ModelPacing.of(model)));
            }
        }
    }
}
