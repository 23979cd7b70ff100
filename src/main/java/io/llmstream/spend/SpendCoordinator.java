package io.llmstream.spend;

import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.operators.coordination.OperatorCoordinator;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Holds the tenants' daily spend caps for the whole job, on the JobManager: the call stage's instances ask it for
 * shares of a tenant's day ({@link Allowances}) and spend them on their own. Its account is checkpointed with the
 * job, so a cap holds across restarts: Flink blocks what it sends after its snapshot until each instance has
 * taken its own, so both sides restore to the same money.
 *
 * <p>Everything runs on one thread of its own (never Flink's main thread, which must not wait), including the
 * completion of its snapshot, so that what it sends and its snapshots are strictly ordered, as Flink requires.
 */
public final class SpendCoordinator implements OperatorCoordinator {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SpendCoordinator.class);
    private static final long TICK_MILLIS = 100;

    private final Context context;
    private final Map<String, Long> capNanos;
    private final SubtaskGateway[] gateways;
    /** Per instance, the latest attempt that failed: its late events are dropped. */
    private final int[] failedAttempts;
    private final Allowances allowances;
    /** The account at each checkpoint not yet superseded by a completed one, for instances restarted alone. */
    private final TreeMap<Long, byte[]> snapshots = new TreeMap<>();
    private ScheduledExecutorService thread;

    SpendCoordinator(Context context, Map<String, Long> capNanos) {
        this.context = context;
        this.capNanos = capNanos;
        this.gateways = new SubtaskGateway[context.currentParallelism()];
        this.failedAttempts = new int[context.currentParallelism()];
        Arrays.fill(failedAttempts, -1);
        this.allowances = new Allowances(capNanos, context.currentParallelism(), this::send);
    }

    @Override
    public void start() {
        thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread named = new Thread(runnable, "llmstream-spend-coordinator");
            named.setDaemon(true);
            return named;
        });
        thread.scheduleWithFixedDelay(() -> run(() -> allowances.tick(System.currentTimeMillis())), TICK_MILLIS,
                TICK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("Spend caps per UTC day held for tenants {} (US dollars)", capsInDollars());
    }

    private Map<String, Double> capsInDollars() {
        Map<String, Double> dollars = new TreeMap<>();
        capNanos.forEach((tenant, nanos) -> dollars.put(tenant, Nanos.dollars(nanos)));
        return dollars;
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    @Override
    public void handleEventFromOperator(int subtask, int attemptNumber, OperatorEvent event) {
        run(() -> {
            if (attemptNumber <= failedAttempts[subtask]) {
                return;
            }
            if (event instanceof SpendEvent.Ask ask) {
                allowances.ask(subtask, ask, System.currentTimeMillis());
            } else if (event instanceof SpendEvent.GiveBack back) {
                allowances.givenBack(subtask, back, System.currentTimeMillis());
            } else {
                LOG.warn("Ignored an unexpected event from instance {}: {}", subtask, event);
            }
        });
    }

    @Override
    public void checkpointCoordinator(long checkpointId, CompletableFuture<byte[]> result) {
        run(() -> {
            byte[] state = allowances.snapshot();
            snapshots.put(checkpointId, state);
            result.complete(state);
        });
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        // Restores go to the latest completed checkpoint or a later one.
        run(() -> snapshots.headMap(checkpointId).clear());
    }

    @Override
    public void resetToCheckpoint(long checkpointId, byte[] state) {
        // Called before start() on a restore, and on a global failover; both wait for the thread.
        Runnable reset = () -> {
            allowances.restore(state, context.currentParallelism());
            snapshots.clear();
            snapshots.put(checkpointId, state);
        };
        if (thread == null) {
            reset.run();
        } else {
            try {
                thread.submit(reset).get();
            } catch (Exception e) {
                throw new IllegalStateException("could not reset the spend coordinator", e);
            }
        }
    }

    @Override
    public void subtaskReset(int subtask, long checkpointId) {}

    @Override
    public void executionAttemptFailed(int subtask, int attemptNumber, Throwable reason) {
        run(() -> {
            gateways[subtask] = null;
            allowances.subtaskGone(subtask, System.currentTimeMillis());
        });
    }

    @Override
    public void executionAttemptReady(int subtask, int attemptNumber, SubtaskGateway gateway) {
        run(() -> gateways[subtask] = gateway);
    }

    private void send(int subtask, SpendEvent event) {
        SubtaskGateway gateway = gateways[subtask];
        if (gateway == null) {
            LOG.debug("Instance {} is not running; not sent: {}", subtask, event);
            return;
        }
        gateway.sendEvent(event);
    }

    private void run(Runnable action) {
        if (thread == null) {
            action.run();
            return;
        }
        thread.execute(() -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                context.failJob(e);
            }
        });
    }

    /** Makes the coordinator on the JobManager; serializable with the job graph. */
    public static final class Provider implements OperatorCoordinator.Provider {
        private static final long serialVersionUID = 1L;
        private final OperatorID operatorId;
        private final Map<String, Long> capNanos;

        public Provider(OperatorID operatorId, Map<String, Long> capNanos) {
            this.operatorId = operatorId;
            this.capNanos = Map.copyOf(capNanos);
        }

        @Override
        public OperatorID getOperatorId() {
            return operatorId;
        }

        @Override
        public OperatorCoordinator create(Context context) {
            return new SpendCoordinator(context, capNanos);
        }
    }
}
